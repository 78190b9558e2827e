import CEdgeAgentSupport
import EdgeWire

/// Reading and writing whole frames on a socket, with deadlines.
public struct FrameLimits {
    public var maxBody: Int = WireFrame.defaultMaxBody
    /// Waiting for the first byte of the next frame.
    public var idleTimeoutMs: Int32 = 30_000
    /// Reading the rest of a frame once it has started.
    public var readTimeoutMs: Int32 = 5_000
    public var writeTimeoutMs: Int32 = 5_000
    public init() {}
}

public enum FrameIO {
    /// The next frame, or nil when the peer closed cleanly between frames.
    public static func read(_ fd: Int32, _ limits: FrameLimits) throws(WireError) -> Envelope? {
        var receivedNanos: UInt64 = 0
        return try read(fd, limits, receivedNanos: &receivedNanos)
    }

    /// The next frame, and in `receivedNanos` when the kernel received its first bytes
    /// (monotonic, the agent's `Clock`): time the frame waited in the socket for a
    /// thread to get the CPU counts as the request's latency (Formats/WIRE.md).
    public static func read(_ fd: Int32, _ limits: FrameLimits, receivedNanos: inout UInt64) throws(WireError) -> Envelope? {
        var header = [UInt8](repeating: 0, count: WireFrame.headerBytes)
        var stamp: UInt64 = 0
        let got = header.withUnsafeMutableBytes { edge_read_exact_stamped(fd, $0.baseAddress, $0.count, limits.idleTimeoutMs, &stamp) }
        receivedNanos = stamp
        if got == 0 { return nil }
        try check(got, "frame header")
        let n = try withBytes(header) { h throws(WireError) in try WireFrame.bodyLength(header: h, maxBody: limits.maxBody) }
        var body = [UInt8](repeating: 0, count: n)
        if n > 0 {
            let r = body.withUnsafeMutableBytes { edge_read_exact(fd, $0.baseAddress, n, limits.readTimeoutMs) }
            try check(r, "frame body")
        }
        return try withBytes(body) { b throws(WireError) in try Envelope.decode(b) }
    }

    static func check(_ r: Int64, _ what: String) throws(WireError) {
        switch r {
        case -2: throw WireError(.timeout, "timed out reading the \(what)")
        case -3, 0: throw WireError(.malformedFrame, "connection closed in the middle of the \(what)")
        case ..<0: throw WireError(.io, "socket error reading the \(what)")
        default: return
        }
    }

    public static func write(_ fd: Int32, _ envelope: Envelope, timeoutMs: Int32 = 5_000) throws(WireError) {
        try writeRaw(fd, WireFrame.wrap(envelope.encode()), timeoutMs: timeoutMs)
    }

    public static func writeRaw(_ fd: Int32, _ bytes: [UInt8], timeoutMs: Int32 = 5_000) throws(WireError) {
        let r = bytes.withUnsafeBytes { edge_write_exact(fd, $0.baseAddress, $0.count, timeoutMs) }
        if r == -2 { throw WireError(.timeout, "timed out writing a frame") }
        if r != 0 { throw WireError(.io, "connection lost while writing a frame") }
    }
}
