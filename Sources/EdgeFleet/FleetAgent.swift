import CEdgeAgentSupport
import CEdgeSupport
import EdgeAgent
import EdgeFormat
import EdgeTrust
import EdgeWire

public struct FleetOptions {
    public var host = ""
    public var port: Int32 = 1883
    public var deviceId = ""
    public var group = ""
    public var user = ""
    public var password = ""
    public var tls = MqttTLS()
    public var reportIntervalMs: UInt64 = 5000
    /// A missing chunk for this long fails the fetch (retried after `retryMs`).
    public var chunkTimeoutMs: UInt64 = 10_000
    public var retryMs: UInt64 = 3000
    public init() {}
}

/// The agent's side of the fleet: follows the group's retained, signed desired state,
/// fetches the artifact in chunks from the broker, installs it through the same path as
/// a direct push (signature, self-test, A/B) and reports what it runs. All of it runs on
/// one thread; the agent's server keeps serving meanwhile.
public final class FleetAgent {
    let agent: Agent
    let options: FleetOptions
    let trusted: [[UInt8]]
    let seqFile: SeqFile
    let mqtt: MqttClient
    var report = ReportedState()
    /// The agent's first-run rollback count when the last install converged.
    var rollbacksAtConverge: UInt64 = 0
    /// The desired state being followed (accepted: signature, group, seq).
    var desired: DesiredState? = nil
    var fetch: Fetch? = nil
    var retryAtNanos: UInt64 = 0
    var nextReportNanos: UInt64 = 0

    struct Fetch {
        var ref: ArtifactRef
        var hex: String
        var buffer: [UInt8] = []
        var next = 0
        var lastProgressNanos: UInt64
    }

    public init(agent: Agent, options: FleetOptions, trusted: [[UInt8]], storeDir: String) throws(FleetError) {
        self.agent = agent
        self.options = options
        self.trusted = trusted
        self.seqFile = SeqFile(path: storeDir + "/fleet-seq", directory: storeDir)
        self.mqtt = try MqttClient(clientId: "edged-" + options.group + "-" + options.deviceId, user: options.user,
                                   password: options.password, maxQueued: 64)
        if options.tls.enabled { try mqtt.setTLS(options.tls) }
        report.id = options.deviceId
        report.group = options.group
        report.seq = try seqFile.read()
        // The broker marks us offline (retained) when we vanish without saying goodbye.
        try mqtt.setWill(topic: Topics.online(options.group, options.deviceId), payload: [48], retain: true)
    }

    /// Connects and starts the fleet thread.
    public func start() throws(FleetError) {
        try mqtt.start(host: options.host, port: options.port)
        guard Threads.start({ self.run() }) else { throw FleetError("cannot start the fleet thread") }
    }

    func run() {
        while true {
            switch mqtt.next(timeoutMs: 200) {
            case .connected(let rc):
                if rc != 0 {
                    Log.info("fleet: broker refused the connection: \(MqttClient.describeConnack(rc))")
                    continue
                }
                Log.info("fleet: connected to \(options.host):\(options.port) as \(options.deviceId) in group \(options.group)")
                // Clean session: subscriptions are renewed on every connect.
                mqtt.publish(Topics.online(options.group, options.deviceId), [49], retain: true)
                mqtt.subscribe(Topics.desired(options.group))
                if let f = fetch { mqtt.subscribe(Topics.chunk(options.group, f.hex, f.next)) }
                publishReport()
            case .disconnected(let rc):
                Log.info("fleet: disconnected (\(MqttClient.describe(rc))); reconnecting")
            case .message(let topic, let payload, _):
                if topic == Topics.desired(options.group) {
                    received(desired: payload)
                } else if let f = fetch, topic == Topics.chunk(options.group, f.hex, f.next) {
                    received(chunk: payload)
                }
            case .timeout:
                break
            }
            tick()
        }
    }

    func tick() {
        let now = edge_now_ns()
        if let f = fetch, now &- f.lastProgressNanos > options.chunkTimeoutMs * 1_000_000 {
            mqtt.unsubscribe(Topics.chunk(options.group, f.hex, f.next))
            fetch = nil
            fail("artifact chunk \(f.next) of \(f.ref.chunks) did not arrive within \(options.chunkTimeoutMs) ms; retrying")
            retryAtNanos = now + options.retryMs * 1_000_000
        }
        if retryAtNanos != 0 && now >= retryAtNanos, let d = desired {
            retryAtNanos = 0
            apply(d)
        }
        // A first-run rollback on the agent undoes a converged install: say so now, not at
        // the next periodic report, so a rollout observing its canaries halts.
        if report.state == "converged" && agent.firstRunRollbackCount > rollbacksAtConverge { publishReport() }
        if now >= nextReportNanos { publishReport() }
    }

    func received(desired payload: [UInt8]) {
        let d: DesiredState
        do throws(FleetError) {
            d = try DesiredState.open(payload, trusted: trusted)
        } catch {
            reject(error.message)
            return
        }
        guard d.group == options.group else {
            reject("desired state for group '\(d.group)' published on group '\(options.group)': ignored")
            return
        }
        guard d.seq >= report.seq else {
            reject("desired state seq \(d.seq) is below the last accepted \(report.seq): replay ignored")
            return
        }
        // The same message again (retained redelivery after a reconnect): nothing to do
        // unless a fetch that failed is waiting for its retry.
        if let cur = desired, cur == d { return }
        if d.seq > report.seq {
            do throws(FleetError) { try seqFile.write(d.seq) } catch {
                fail(error.message)
                return
            }
        }
        desired = d
        report.seq = d.seq
        report.lastError = ""
        retryAtNanos = 0
        apply(d)
    }

    func reject(_ why: String) {
        report.rejected += 1
        report.lastError = why
        Log.info("fleet: " + why)
        publishReport()
    }

    func fail(_ why: String) {
        report.state = "failed"
        report.lastError = why
        Log.info("fleet: " + why)
        publishReport()
    }

    func apply(_ d: DesiredState) {
        if let f = fetch {
            mqtt.unsubscribe(Topics.chunk(options.group, f.hex, f.next))
            fetch = nil
        }
        guard d.targets(options.deviceId) else {
            report.state = "not-targeted"
            publishReport()
            return
        }
        let st = agent.status()
        var installed: UInt64? = nil
        for v in st.variants where v.name == d.name { installed = v.version }
        if installed == d.version {
            if st.active != d.name {
                do throws(WireError) { _ = try agent.activateInstalled(d.name) } catch {
                    fail("activating \(d.name) v\(d.version): \(error.message)")
                    return
                }
            }
            rollbacksAtConverge = agent.firstRunRollbackCount
            report.state = "converged"
            publishReport()
            return
        }
        if let have = installed, have > d.version {
            fail("\(d.name) v\(have) is installed, newer than the desired v\(d.version)")
            return
        }
        guard let ref = d.artifact else {
            fail("\(d.name) v\(d.version) is not installed and the desired state names no artifact")
            return
        }
        let hex = Hex.encode(ref.sha256)
        fetch = Fetch(ref: ref, hex: hex, lastProgressNanos: edge_now_ns())
        report.state = "fetching"
        publishReport()
        mqtt.subscribe(Topics.chunk(options.group, hex, 0))
    }

    func received(chunk: [UInt8]) {
        guard var f = fetch, let d = desired else { return }
        let remaining = f.ref.bytes - UInt64(f.buffer.count)
        let want = Swift.min(f.ref.chunkBytes, remaining)
        guard UInt64(chunk.count) == want else {
            mqtt.unsubscribe(Topics.chunk(options.group, f.hex, f.next))
            fetch = nil
            fail("artifact chunk \(f.next) has \(chunk.count) bytes, expected \(want)")
            return
        }
        mqtt.unsubscribe(Topics.chunk(options.group, f.hex, f.next))
        f.buffer += chunk
        f.next += 1
        f.lastProgressNanos = edge_now_ns()
        if f.next < f.ref.chunks {
            fetch = f
            mqtt.subscribe(Topics.chunk(options.group, f.hex, f.next))
            return
        }
        fetch = nil
        guard Sha256.digest(f.buffer) == f.ref.sha256 else {
            fail("fetched artifact does not match the SHA-256 of the desired state")
            return
        }
        report.state = "installing"
        publishReport()
        do throws(WireError) {
            let text = try agent.installArtifact(f.buffer, activate: true)
            Log.info("fleet: " + text)
        } catch {
            fail("installing \(d.name) v\(d.version): \(error.code.name): \(error.message)")
            return
        }
        rollbacksAtConverge = agent.firstRunRollbackCount
        report.state = "converged"
        publishReport()
    }

    func publishReport() {
        let st = agent.status()
        if report.state == "converged", let d = desired, st.active != d.name, st.firstRunRollbacks > rollbacksAtConverge {
            report.state = "failed"
            report.lastError = "\(d.name) v\(d.version) was rolled back by the agent: its first real request failed (\(st.active) served it)"
            Log.info("fleet: " + report.lastError)
        }
        report.active = st.active
        report.previous = st.previous
        report.version = 0
        for v in st.variants where v.name == st.active { report.version = v.version }
        report.served = st.served
        report.failedRequests = st.failed
        report.rssBytes = edge_rss_bytes()
        mqtt.publish(Topics.reported(options.group, options.deviceId), Array(report.json().utf8), retain: true)
        nextReportNanos = edge_now_ns() + options.reportIntervalMs * 1_000_000
    }
}

/// The highest accepted desired-state seq, durable across restarts (replay protection).
struct SeqFile {
    let path: String
    let directory: String

    func read() throws(FleetError) -> UInt64 {
        let fd = path.withCString { edge_open_read($0) }
        guard fd >= 0 else { return 0 }
        edge_close(fd)
        let bytes: [UInt8]
        do throws(EdgeError) { bytes = try FileIO.read(path) } catch { throw FleetError(error.message) }
        var text = String(decoding: bytes, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        guard let n = UInt64(text) else { throw FleetError("'\(path)' does not hold a sequence number") }
        return n
    }

    func write(_ seq: UInt64) throws(FleetError) {
        do { try DurableFile.replace(path, directory: directory, with: Array("\(seq)\n".utf8)) } catch {
            throw FleetError(error.message)
        }
    }
}
