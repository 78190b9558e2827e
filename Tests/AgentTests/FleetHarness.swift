import EdgeClient
import EdgeFleet
import EdgeFleetControl
import EdgeTrust
import Foundation
import XCTest

/// A real mosquitto on a free 127.0.0.1 port, with its own config, password file and
/// persistence directory under `dir`; anonymous clients are refused. `stop()` is a
/// SIGTERM (mosquitto saves its retained messages), deinit always kills. With `tls`, the
/// listener speaks only TLS, with a self-signed certificate for 127.0.0.1 that openssl
/// makes here (clients trust it as their CA).
final class MosquittoBroker {
    static let user = "fleet"
    static let password = "fleet-test-password"
    let dir: URL
    let port: Int32
    var process: Process? = nil
    let tls: Bool
    var caFile: String { dir.appendingPathComponent("broker-cert.pem").path }
    var options: BrokerOptions {
        var t = MqttTLS()
        if tls { t.caFile = caFile }
        return BrokerOptions(host: "127.0.0.1", port: port, user: MosquittoBroker.user, password: MosquittoBroker.password, tls: t)
    }
    var address: String { "127.0.0.1:\(port)" }
    var passwordFile: String { dir.appendingPathComponent("client-password").path }

    static var binary: String? {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(dir: URL, tls: Bool = false) throws {
        guard MosquittoBroker.binary != nil else { throw ClientError.local("mosquitto is not installed (Tools/install_deps.sh installs it)") }
        self.dir = try dir.creatingDirectory()
        self.tls = tls
        port = try MosquittoBroker.freePort()
        let passwd = dir.appendingPathComponent("passwd").path
        let mp = Process()
        mp.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_passwd")
        mp.arguments = ["-c", "-b", passwd, MosquittoBroker.user, MosquittoBroker.password]
        try mp.run()
        mp.waitUntilExit()
        guard mp.terminationStatus == 0 else { throw ClientError.local("mosquitto_passwd failed") }
        try (MosquittoBroker.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        var tlsConf = ""
        if tls {
            let key = dir.appendingPathComponent("broker-key.pem").path
            let ssl = Process()
            ssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            ssl.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", caFile]
            ssl.standardOutput = FileHandle.nullDevice
            ssl.standardError = FileHandle.nullDevice
            try ssl.run()
            ssl.waitUntilExit()
            guard ssl.terminationStatus == 0 else { throw ClientError.local("openssl could not make a test certificate") }
            tlsConf = "cafile \(caFile)\ncertfile \(caFile)\nkeyfile \(key)\n"
        }
        let conf = """
            listener \(port) 127.0.0.1
            allow_anonymous false
            password_file \(passwd)
            persistence true
            persistence_location \(dir.path)/
            log_dest file \(dir.path)/mosquitto.log
            max_queued_messages 10000
            user \(NSUserName())
            \(tlsConf)
            """
        try conf.write(to: dir.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        try start()
    }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: MosquittoBroker.binary!)
        p.arguments = ["-c", dir.appendingPathComponent("mosquitto.conf").path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        for _ in 0..<100 {  // at most 5 s
            if MosquittoBroker.canConnect(port) { return }
            if !p.isRunning { break }
            usleep(50_000)
        }
        kill()
        throw ClientError.local("mosquitto did not start: " + ((try? String(contentsOf: dir.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""))
    }

    func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        p.waitUntilExit()
        process = nil
    }

    func kill() {
        if let p = process, p.isRunning {
            Foundation.kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        process = nil
    }

    deinit { kill() }

    var rssBytes: Int {
        guard let p = process, let s = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/statm", encoding: .utf8),
              let pages = Int(s.split(separator: " ")[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func freePort() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.local("socket() failed") }
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw ClientError.local("cannot bind a free port") }
        return Int32(UInt16(bigEndian: a.sin_port))
    }

    static func canConnect(_ port: Int32) -> Bool {
        (try? AgentConnection(host: "127.0.0.1", port: port, timeoutMs: 200)) != nil
    }
}

/// N agents in one group, each an edged with the fleet options on the test broker.
class FleetTestCase: AgentTestCase {
    static let group = "lab"

    func deviceId(_ i: Int) -> String { String(format: "dev-%02d", i) }

    /// `launcher`: qemu-aarch64 and the device build (DeviceFleetTests); nil: the host edged.
    func startAgent(_ i: Int, broker: MosquittoBroker, launcher: [String]? = nil) throws -> AgentProcess {
        let dir = try tmp.appendingPathComponent(deviceId(i)).creatingDirectory()
        let fleet = ["--mqtt", broker.address, "--device-id", deviceId(i), "--group", FleetTestCase.group,
                     "--mqtt-user", MosquittoBroker.user, "--mqtt-password-file", broker.passwordFile,
                     "--report-interval-ms", "300", "--workers", "1"] + (broker.tls ? ["--mqtt-cafile", broker.caFile] : [])
        return try AgentProcess(dir: dir, extra: fleet, launcher: launcher, startSeconds: launcher == nil ? 10 : 30)
    }

    /// Starts `n` agents and installs `dense` v1 on each by a direct push.
    func startFleet(_ n: Int, broker: MosquittoBroker) throws -> [AgentProcess] {
        let agents = try (0..<n).map { try startAgent($0, broker: broker) }
        let artifact = AgentFixtures.artifact(dense, version: 1)
        for a in agents { try AgentClient(address: a.address).push(artifact, key: key, activate: true) }
        try waitFleet(broker, seconds: 15, what: "all \(n) online on dense") { v in
            v.devices.count == n && v.devices.values.allSatisfy { $0.online && $0.active == self.dense.name }
        }
        return agents
    }

    /// Watches the group's retained state until `cond` holds (fails the test otherwise).
    @discardableResult
    func waitFleet(_ broker: MosquittoBroker, seconds: Double, what: String, _ cond: @escaping (FleetView) -> Bool) throws -> FleetView {
        let c = try broker.options.connect(clientId: "test-observer")
        let v = FleetView(group: FleetTestCase.group)
        v.pump(c, seconds: seconds) { cond(v) }
        XCTAssertTrue(cond(v), "timed out waiting for: \(what); devices: \(v.sorted.map { "\($0.id) \($0.active) v\($0.version) \($0.state) online=\($0.online) \($0.lastError)" })")
        return v
    }

    func rollout(_ broker: MosquittoBroker, _ artifact: [UInt8], canary: Double = 0.1, timeout: Double = 40, observe: Double = 1) throws -> RolloutReport {
        var o = RolloutOptions()
        o.canaryFraction = canary
        o.observeSeconds = observe
        o.timeoutSeconds = timeout
        o.chunkBytes = 16 << 10  // several chunks per artifact
        return try FleetRollout(broker: broker.options, group: FleetTestCase.group, secretKey: key, options: o,
                                progress: { print("rollout: " + $0) }).run(artifact: artifact)
    }

    /// Runs `body` on another thread; `join` waits for its result.
    final class Background<T> {
        private var result: Result<T, Error>? = nil
        private let done = DispatchSemaphore(value: 0)
        init(_ body: @escaping () throws -> T) {
            Thread.detachNewThread {
                self.result = Result { try body() }
                self.done.signal()
            }
        }
        func join(seconds: Double) throws -> T {
            guard done.wait(timeout: .now() + seconds) == .success, let r = result else { throw ClientError.local("background work did not finish in \(seconds) s") }
            return try r.get()
        }
    }
}
