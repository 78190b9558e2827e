import CEdgeAgentSupport
import EdgeFormat
import EdgeWire

public struct ServerOptions {
    public var host = "127.0.0.1"
    public var port: Int32 = 7000
    public var maxConnections = 16
    public var limits = FrameLimits()
    /// Written with the bound port once listening (for --listen HOST:0 in tests).
    public var portFile = ""
    public init() {}
}

/// Accept loop and one thread per connection (bounded by --max-connections). A
/// connection over the limit gets a `too-many-connections` refusal and is closed; a
/// malformed, oversized or slow frame gets its refusal and the connection is closed,
/// because the stream cannot be resynchronised after a bad frame.
public final class Server {
    let agent: Agent
    let options: ServerOptions

    public init(agent: Agent, options: ServerOptions) {
        self.agent = agent
        self.options = options
    }

    public func run() throws(WireError) {
        edge_ignore_sigpipe()
        let fd = Utf8Text.withCString(options.host) { edge_tcp_listen($0, options.port, 64) }
        guard fd >= 0 else { throw WireError(.io, "cannot listen on \(options.host):\(options.port)") }
        let port = edge_tcp_port(fd)
        if !options.portFile.isEmpty {
            try DurableFile.replace(options.portFile, directory: Server.parent(options.portFile), with: Array("\(port)\n".utf8))
        }
        Log.info("listening on \(options.host):\(port)")
        while true {
            let c = edge_tcp_accept(fd, 1000)
            if c == -2 { continue }
            if c < 0 { edge_sleep_ms(10); continue }
            guard agent.connectionOpened(limit: options.maxConnections) else {
                try? FrameIO.write(c, Envelope(requestId: 0, .refused(.tooManyConnections,
                    "too many connections (limit \(options.maxConnections))")), timeoutMs: 200)
                edge_close(c)
                continue
            }
            let agent = self.agent
            let limits = options.limits
            if !Threads.start({ Server.serve(c, agent, limits) }) {
                agent.connectionClosed()
                edge_close(c)
            }
        }
    }

    static func parent(_ path: String) -> String {
        var u = Array(path.utf8)
        while let last = u.last, last != 47 { u.removeLast() }
        if u.isEmpty { return "." }
        if u.count > 1 { u.removeLast() }
        return String(decoding: u, as: UTF8.self)
    }

    static func serve(_ fd: Int32, _ agent: Agent, _ limits: FrameLimits) {
        defer {
            edge_close(fd)
            agent.connectionClosed()
        }
        while true {
            let env: Envelope
            var receivedNanos: UInt64 = 0
            do throws(WireError) {
                guard let e = try FrameIO.read(fd, limits, receivedNanos: &receivedNanos) else { return }
                env = e
            } catch {
                agent.noteRefusal()
                try? FrameIO.write(fd, Envelope(requestId: 0, .refused(error.code, error.message)), timeoutMs: 200)
                return
            }
            let reply = handle(env, fd, agent, limits, receivedNanos: receivedNanos)
            if case .refused = reply { agent.noteRefusal() }
            do throws(WireError) {
                try FrameIO.write(fd, Envelope(requestId: env.requestId, reply), timeoutMs: limits.writeTimeoutMs)
            } catch {
                return
            }
            if case .refused(let code, _) = reply, code == .malformedFrame || code == .timeout { return }
        }
    }

    static func handle(_ env: Envelope, _ fd: Int32, _ agent: Agent, _ limits: FrameLimits, receivedNanos: UInt64) -> Message {
        switch env.message {
        case .infer(let req):
            return agent.infer(req, receivedNanos: receivedNanos)
        case .forward(let f):
            return agent.forwarded(f, receivedNanos: receivedNanos)
        case .status:
            return .statusReply(agent.status())
        case .bench(let req):
            return agent.bench(req)
        case .signed(let command, let signature):
            do throws(WireError) {
                let c = try agent.authenticate(command, signature)
                switch c.action {
                case .activate(let name): return .ok(try agent.activate(name, counter: c.counter, receivedNanos: receivedNanos))
                case .rollback: return .ok(try agent.rollback(counter: c.counter, receivedNanos: receivedNanos))
                case .policy(let spec): return .ok(try agent.setPolicy(spec, counter: c.counter))
                case .forward(let target): return .ok(try agent.setForward(target, counter: c.counter))
                case .roma(let spec): return .ok(try agent.setRoma(spec, counter: c.counter))
                case .push(let total, let digest, let activate):
                    return .ok(try receivePush(fd, agent, limits, counter: c.counter, total: total, digest: digest, activate: activate))
                }
            } catch {
                Log.info("refused: \(error.code.name): \(error.message)")
                return .refused(error.code, error.message)
            }
        case .pushChunk:
            return .refused(.badRequest, "push chunk without an accepted push command")
        default:
            return .refused(.badRequest, "this message is not a request")
        }
    }

    /// Receives the chunks of an accepted push on the same connection, then installs.
    static func receivePush(_ fd: Int32, _ agent: Agent, _ limits: FrameLimits, counter: UInt64, total: UInt64,
                            digest: [UInt8], activate: Bool) throws(WireError) -> String {
        let upload = try agent.beginPush(counter: counter, total: total)
        var ok = false
        defer { if !ok { upload.discard() } }
        while !upload.complete {
            guard let env = try FrameIO.read(fd, limits) else {
                throw WireError(.badRequest, "connection closed after \(upload.received) of \(total) pushed bytes: nothing installed")
            }
            guard case .pushChunk(let offset, let data) = env.message else {
                throw WireError(.badRequest, "expected a push chunk")
            }
            try upload.append(offset: offset, data)
        }
        ok = true
        // Switch latency of a push+activate counts from the moment the upload is complete.
        return try agent.install(upload, sha256: digest, activate: activate, counter: counter, receivedNanos: Clock.nowNanos())
    }
}
