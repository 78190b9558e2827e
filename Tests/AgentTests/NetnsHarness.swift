import CEdgeAgentSupport
import CEdgeSupport
import Foundation
import XCTest

/// Two network namespaces the test creates and always deletes:
///
///     root ns (test, relay)                 device ns                edge ns
///     10.213.<n>.1 --- mgmt veth ---------- 10.213.<n>.2
///     10.213.<n+1>.1 --- link veth (tbf) -- 10.213.<n+1>.2
///     10.213.<n+2>.1 --- edge veth --------------------------------- 10.213.<n+2>.2
///
/// The client reaches both agents over the unshaped mgmt/edge veths. The device agent
/// forwards to the relay on the link veth, shaped by `tc tbf` in both directions; the
/// relay adds the one-way delay (this kernel has no netem) and passes bytes on to the edge
/// agent. Only these namespace addresses are used.
final class NetnsTopology {
    let tag: String
    let device: String, edge: String
    let base: Int
    private(set) var created: [String] = []

    var deviceMgmt: String { "10.213.\(base).2" }
    var rootLink: String { "10.213.\(base + 1).1" }
    var edgeAddress: String { "10.213.\(base + 2).2" }

    static func available() throws {
        guard getuid() == 0 else { throw XCTSkip("network-namespace test needs root (ip netns, tc)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"), FileManager.default.isExecutableFile(atPath: "/usr/sbin/tc") else {
            throw XCTSkip("iproute2 (ip, tc) is not installed")
        }
    }

    init(rateKbit: Int, burstBytes: Int) throws {
        let pid = Int(getpid())
        tag = String(pid % 100_000)
        base = 10 + 3 * (pid % 80)
        device = "edt-dev-\(tag)"
        edge = "edt-edge-\(tag)"
        NetnsTopology.removeStale()
        do {
            try ip("netns", "add", device); created.append(device)
            try ip("netns", "add", edge); created.append(edge)
            try pair("edm\(tag)", "edmd\(tag)", into: device, rootIP: "10.213.\(base).1", nsIP: deviceMgmt)
            try pair("edl\(tag)", "edld\(tag)", into: device, rootIP: rootLink, nsIP: "10.213.\(base + 1).2")
            try pair("ede\(tag)", "eded\(tag)", into: edge, rootIP: "10.213.\(base + 2).1", nsIP: edgeAddress)
            for ns in [device, edge] { try ip("netns", "exec", ns, "ip", "link", "set", "lo", "up") }
            // The link in both directions: device -> relay (in the device ns), relay -> device (root side).
            let tbf = ["root", "tbf", "rate", "\(rateKbit)kbit", "burst", "\(burstBytes)", "latency", "400ms"]
            try run("/usr/sbin/ip", ["netns", "exec", device, "tc", "qdisc", "add", "dev", "edld\(tag)"] + tbf)
            try run("/usr/sbin/tc", ["qdisc", "add", "dev", "edl\(tag)"] + tbf)
        } catch {
            tearDown()
            throw error
        }
    }

    private func pair(_ rootEnd: String, _ nsEnd: String, into ns: String, rootIP: String, nsIP: String) throws {
        try ip("link", "add", rootEnd, "type", "veth", "peer", "name", nsEnd)
        try ip("link", "set", nsEnd, "netns", ns)
        try ip("addr", "add", rootIP + "/24", "dev", rootEnd)
        try ip("link", "set", rootEnd, "up")
        try ip("netns", "exec", ns, "ip", "addr", "add", nsIP + "/24", "dev", nsEnd)
        try ip("netns", "exec", ns, "ip", "link", "set", nsEnd, "up")
    }

    /// Namespaces of an earlier run of this test whose process is gone (killed before its
    /// cleanup could run): named edt-dev-PID / edt-edge-PID.
    static func removeStale() {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "list"]
        let out = Pipe()
        p.standardOutput = out
        guard (try? p.run()) != nil else { return }
        let text = String(data: out.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8) ?? ""
        p.waitUntilExit()
        for line in text.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix("edt-dev-") || name.hasPrefix("edt-edge-"), let pid = Int(name.split(separator: "-").last ?? ""),
                  !FileManager.default.fileExists(atPath: "/proc/\(pid)") else { continue }
            let del = Process()
            del.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            del.arguments = ["netns", "del", name]
            try? del.run()
            del.waitUntilExit()
        }
    }

    /// Deleting a namespace deletes its veth ends, and with them the root ends.
    func tearDown() {
        for ns in created.reversed() { try? ip("netns", "del", ns) }
        created = []
    }

    deinit { tearDown() }

    func ip(_ args: String...) throws { try run("/usr/sbin/ip", args) }

    func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let text = String(data: err.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8) ?? ""
            throw NSError(domain: "netns", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(tool) \(args.joined(separator: " ")): \(text)"])
        }
    }
}

/// A TCP relay that delays every byte by `delayMs` in each direction (a delay line: bytes
/// are read as they come and written once their time is due, so the delay does not cap
/// the rate). Listens on `host`, passes connections on to `target`.
///
/// It also serializes each direction at `rateKbit`, as a real link of that rate would:
/// tbf's token bucket (its burst cannot be below the MTU) lets the first ~1.6 KB after an
/// idle period through at veth speed, which for the few-KB frames of a split run would make
/// the shaped link look several times faster than its rate. tbf still shapes every
/// sustained transfer; the relay makes a lone frame cost bytes / rate too.
final class DelayRelay {
    let delayMs: Double
    let rateKbit: Double
    let listenFd: Int32
    let port: Int32
    private let targetHost: String
    private let targetPort: Int32
    private let state = NSLock()
    private var stopped = false
    private var fds: [Int32] = []

    init(host: String, target: String, delayMs: Double, rateKbit: Double) throws {
        self.delayMs = delayMs
        self.rateKbit = rateKbit
        let parts = target.split(separator: ":")
        targetHost = String(parts[0])
        targetPort = Int32(parts[1])!
        listenFd = host.withCString { edge_tcp_listen($0, 0, 16) }
        guard listenFd >= 0 else { throw NSError(domain: "relay", code: 1, userInfo: [NSLocalizedDescriptionKey: "relay cannot listen on \(host)"]) }
        port = edge_tcp_port(listenFd)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    private var isStopped: Bool { state.lock(); defer { state.unlock() }; return stopped }

    private func acceptLoop() {
        while !isStopped {
            let c = edge_tcp_accept(listenFd, 100)
            if c < 0 { continue }
            let u = targetHost.withCString { edge_tcp_connect($0, targetPort, 2000) }
            if u < 0 { edge_close(c); continue }
            state.lock(); fds += [c, u]; state.unlock()
            pump(from: c, to: u)
            pump(from: u, to: c)
        }
    }

    /// One direction: a reader thread timestamps chunks, a writer thread sends them when due.
    private func pump(from src: Int32, to dst: Int32) {
        let line = NSCondition()
        var queue: [(due: UInt64, bytes: [UInt8])] = []
        var closed = false
        let delayNs = UInt64(delayMs * 1e6)
        let nsPerByte = 8e9 / (rateKbit * 1000)
        var linkFree: UInt64 = 0  // when the emulated link has sent the previous chunk
        Thread.detachNewThread {
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                // The shim's sockets are non-blocking: wait for data, then read what is there.
                var p = pollfd(fd: src, events: Int16(POLLIN), revents: 0)
                let ready = poll(&p, 1, 200)
                if ready == 0 { if self.isStopped { line.lock(); closed = true; line.signal(); line.unlock(); return }; continue }
                var n = buf.withUnsafeMutableBytes { Glibc.read(src, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                if ready < 0 { n = -1 }
                line.lock()
                if n <= 0 { closed = true } else {
                    let sent = max(edge_now_ns(), linkFree) + UInt64(Double(n) * nsPerByte)
                    linkFree = sent
                    queue.append((sent + delayNs, Array(buf[0..<n])))
                }
                line.signal()
                line.unlock()
                if n <= 0 { return }
            }
        }
        Thread.detachNewThread {
            while true {
                line.lock()
                while queue.isEmpty && !closed { line.wait() }
                if queue.isEmpty && closed { line.unlock(); shutdown(dst, Int32(SHUT_WR)); return }
                let item = queue.removeFirst()
                line.unlock()
                let now = edge_now_ns()
                if item.due > now { usleep(UInt32((item.due - now) / 1000)) }
                let w = item.bytes.withUnsafeBytes { edge_write_exact(dst, $0.baseAddress, $0.count, 5000) }
                if w != 0 { return }
            }
        }
    }

    func stop() {
        state.lock()
        stopped = true
        let all = fds
        fds = []
        state.unlock()
        for fd in all { shutdown(fd, Int32(SHUT_RDWR)) }
        usleep(150_000)  // the accept loop notices within its 100 ms poll
        edge_close(listenFd)
        for fd in all { edge_close(fd) }
    }

    deinit { if !isStopped { stop() } }
}
