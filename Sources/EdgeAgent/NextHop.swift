import CEdgeAgentSupport
import EdgeWire

/// The agent's connection(s) to the next agent of a chain (Command.forward). A forward is
/// one synchronous request: FORWARD out, INFER_REPLY (or a refusal) back, within the
/// target's deadline. Idle connections are kept (at most a few) so a steady stream of
/// requests does not pay a TCP handshake per frame; one that the peer closed meanwhile
/// is replaced once, which is safe because an inference has no side effects.
final class NextHop {
    let target: ForwardTarget
    let timeoutMs: Int32
    private let lock = Lock()
    private var idle: [Int32] = []
    private static let maxIdle = 4

    init(_ target: ForwardTarget) {
        self.target = target
        let t = target.timeoutMs == 0 ? 10_000 : target.timeoutMs
        timeoutMs = Int32(Swift.min(t, 120_000))
    }

    deinit { for fd in idle { edge_close(fd) } }

    /// Sends `request`; returns the reply and the size of the frame sent.
    func send(_ request: ForwardRequest) throws(WireError) -> (InferReply, Int) {
        let frame = WireFrame.wrap(Envelope(requestId: 1, .forward(request)).encode())
        if let fd = lock.locked({ idle.popLast() }) {
            do throws(WireError) {
                return (try exchange(fd, frame), frame.count)
            } catch {
                // Only a connection that broke before any reply is retried (the next
                // agent's idle timeout closes kept connections); refusals and timeouts are final.
                guard error.code == .io || error.code == .malformedFrame else { throw error }
            }
        }
        let fd = target.host.withCString { edge_tcp_connect($0, target.port, timeoutMs) }
        guard fd >= 0 else { throw WireError(.io, "cannot reach the next agent \(target.address)") }
        return (try exchange(fd, frame), frame.count)
    }

    /// One request on `fd`; the connection is kept for reuse only after a clean reply.
    private func exchange(_ fd: Int32, _ frame: [UInt8]) throws(WireError) -> InferReply {
        var keep = false
        defer { if !(keep && release(fd)) { edge_close(fd) } }
        try FrameIO.writeRaw(fd, frame, timeoutMs: timeoutMs)
        var limits = FrameLimits()
        limits.idleTimeoutMs = timeoutMs
        limits.readTimeoutMs = timeoutMs
        let reply: Envelope?
        do throws(WireError) { reply = try FrameIO.read(fd, limits) } catch {
            if error.code == .timeout {
                throw WireError(.timeout, "the next agent \(target.address) did not answer within \(timeoutMs) ms")
            }
            throw error
        }
        guard let env = reply else {
            throw WireError(.io, "the next agent \(target.address) closed the connection")
        }
        switch env.message {
        case .inferReply(let r):
            keep = true
            return r
        case .refused(let code, let message):
            keep = true
            throw WireError(code, "next agent \(target.address): \(message)")
        default:
            throw WireError(.malformedFrame, "the next agent \(target.address) answered a forward with another message")
        }
    }

    /// Keeps `fd` for the next request; false when enough are kept already.
    private func release(_ fd: Int32) -> Bool {
        lock.locked {
            if idle.count >= NextHop.maxIdle { return false }
            idle.append(fd)
            return true
        }
    }
}
