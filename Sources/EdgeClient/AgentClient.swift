import CEdgeAgentSupport
import EdgeAgent
import CEdgeSupport
import EdgeFormat
import EdgeTrust
import EdgeWire
import Foundation

/// Why a client call failed: the agent refused (with its reason), or it could not be
/// reached / the connection broke.
public enum ClientError: Error, CustomStringConvertible {
    case refused(RefusalCode, String)
    case connection(String)
    case local(String)

    public var description: String {
        switch self {
        case .refused(let c, let m): return "agent refused (\(c.name)): \(m)"
        case .connection(let m): return "connection: \(m)"
        case .local(let m): return m
        }
    }
}

/// "HOST:PORT" -> (host, port)
public func parseAddress(_ s: String) throws -> (String, Int32) {
    let parts = s.split(separator: ":")
    guard parts.count == 2, let p = Int32(parts[1]), p > 0, p < 65536 else {
        throw ClientError.local("'\(s)' is not HOST:PORT")
    }
    return (String(parts[0]), p)
}

/// One connection to an agent; requests are sent one at a time.
public final class AgentConnection {
    let fd: Int32
    public var limits = FrameLimits()
    private var nextId: UInt64 = 1

    public init(host: String, port: Int32, timeoutMs: Int32 = 3000) throws {
        fd = host.withCString { edge_tcp_connect($0, port, timeoutMs) }
        guard fd >= 0 else { throw ClientError.connection("cannot connect to \(host):\(port)") }
        limits.idleTimeoutMs = 120_000   // a reply may wait for an install
        limits.readTimeoutMs = 30_000
    }

    public convenience init(address: String) throws {
        let (h, p) = try parseAddress(address)
        try self.init(host: h, port: p)
    }

    deinit { edge_close(fd) }

    public func send(_ m: Message) throws {
        defer { nextId += 1 }
        do { try FrameIO.write(fd, Envelope(requestId: nextId, m)) } catch { throw ClientError.connection(error.message) }
    }

    public func sendRaw(_ bytes: [UInt8]) throws {
        do { try FrameIO.writeRaw(fd, bytes) } catch { throw ClientError.connection(error.message) }
    }

    public func receive() throws -> Message {
        let env: Envelope?
        do { env = try FrameIO.read(fd, limits) } catch { throw ClientError.connection(error.message) }
        guard let e = env else { throw ClientError.connection("the agent closed the connection") }
        if case .refused(let c, let m) = e.message { throw ClientError.refused(c, m) }
        return e.message
    }

    public func request(_ m: Message) throws -> Message {
        try send(m)
        return try receive()
    }
}

/// Counters for signed commands: microseconds since the epoch, strictly increasing
/// within the process. The agent accepts any counter above the last it accepted.
public enum CommandCounter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var last: UInt64 = 0
    public static func next() -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        last = max(last + 1, edge_wall_us())
        return last
    }
}

/// The operations behind `edgec push/activate/rollback/status/infer`.
public struct AgentClient {
    public let address: String
    public init(address: String) { self.address = address }

    public func signed(_ action: CommandAction, key: [UInt8]) -> Message {
        CommandAuth.sign(Command(counter: CommandCounter.next(), action: action), secretKey: key)
    }

    @discardableResult
    public func command(_ action: CommandAction, key: [UInt8]) throws -> String {
        let c = try AgentConnection(address: address)
        guard case .ok(let text) = try c.request(signed(action, key: key)) else {
            throw ClientError.connection("unexpected reply")
        }
        return text
    }

    /// Pushes a signed artifact in chunks of `chunkBytes`.
    @discardableResult
    public func push(_ artifact: [UInt8], key: [UInt8], activate: Bool, chunkBytes: Int = 1 << 20,
                     progress: ((Int) -> Void)? = nil) throws -> String {
        let c = try AgentConnection(address: address)
        try c.send(signed(.push(totalBytes: UInt64(artifact.count), sha256: Sha256.digest(artifact), activate: activate), key: key))
        var off = 0
        do {
            while off < artifact.count {
                let end = min(artifact.count, off + chunkBytes)
                try c.send(.pushChunk(offset: UInt64(off), data: Array(artifact[off..<end])))
                off = end
                progress?(off)
            }
        } catch {
            // The agent may have refused early and closed: its reason is the better error.
            if let m = try? c.receive(), case .ok(let t) = m { return t }
            throw error
        }
        guard case .ok(let text) = try c.receive() else { throw ClientError.connection("unexpected reply") }
        return text
    }

    public func status() throws -> AgentStatus {
        let c = try AgentConnection(address: address)
        guard case .statusReply(let s) = try c.request(.status) else { throw ClientError.connection("unexpected reply") }
        return s
    }

    /// Per-layer times of `variant` (empty: the active one) measured by the agent.
    public func bench(variant: String = "", iterations: Int) throws -> BenchReply {
        let c = try AgentConnection(address: address)
        guard case .benchReply(let r) = try c.request(.bench(BenchRequest(variant: variant, iterations: iterations))) else {
            throw ClientError.connection("unexpected reply")
        }
        return r
    }

    public func infer(_ inputs: [(String, NpyArray)], zlib: Bool = false, on connection: AgentConnection? = nil) throws -> InferReply {
        let c = try connection ?? AgentConnection(address: address)
        let ts = inputs.map { WireTensors.tensor($0.0, $0.1, zlib: zlib) }
        guard case .inferReply(let r) = try c.request(.infer(InferRequest(inputs: ts, zlibOutputs: zlib))) else {
            throw ClientError.connection("unexpected reply")
        }
        return r
    }
}

public enum WireTensors {
    public static func tensor(_ name: String, _ a: NpyArray, zlib: Bool = false) -> WireTensor {
        var bytes = a.data.withUnsafeBytes { Array($0) }
        if zlib, let z = try? Zlib.compress(bytes, level: 1) { bytes = z }
        return WireTensor(name: name, shape: a.shape, data: bytes, zlib: zlib)
    }

    public static func floats(_ t: WireTensor) throws -> [Float] {
        var raw = t.data
        if t.zlib {
            raw = [UInt8](repeating: 0, count: t.elementCount * 4)
            do {
                try withBytes(t.data) { src throws(EdgeError) in
                    try withMutableBytes(&raw) { dst throws(EdgeError) in try Zlib.decompress(src, into: dst) }
                }
            } catch { throw ClientError.local("output '\(t.name)': \(error.message)") }
        }
        guard raw.count == t.elementCount * 4 else { throw ClientError.local("output '\(t.name)' has \(raw.count) bytes for shape \(t.shape)") }
        return raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
