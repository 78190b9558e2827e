import EdgeFleet
import EdgeFormat
import EdgeTrust
import EdgeWire
import Foundation

public struct RolloutOptions {
    /// Share of the online devices that get the new variant first (0: no canary phase).
    public var canaryFraction = 0.1
    /// Halt when this many canaries failed (self-test, install, or a rising failure rate).
    public var haltOn = 1
    public var timeoutSeconds = 300.0
    /// How long canaries serve the new variant before the rest get it.
    public var observeSeconds = 5.0
    /// A canary whose request failure rate in the observation window exceeds its rate
    /// before the rollout by more than this counts as failed.
    public var maxFailureRateRise = 0.01
    public var chunkBytes = 64 << 10
    /// After convergence (or a halt), remove the retained chunks of every artifact the
    /// group's desired state no longer names.
    public var clearOldChunks = true
    public init() {}
}

public struct RolloutReport {
    public enum Outcome: String {
        case converged, halted, incomplete, failed
    }
    public var outcome = Outcome.incomplete
    public var name = ""
    public var version: UInt64 = 0
    public var canaries: [String] = []
    public var converged: [String] = []
    public var failed: [String: String] = [:]
    public var pending: [String] = []
    /// Offline when the rollout began: they follow the retained desired state when back.
    public var offline: [String] = []
    public var rolledBackTo = ""
    /// Retained chunk messages of artifacts no longer desired, removed from the broker.
    public var clearedChunks = 0
    public var seconds = 0.0

    public var exitCode: Int32 {
        switch outcome {
        case .converged: return 0
        case .halted: return 10
        case .incomplete: return 11
        case .failed: return 12
        }
    }

    public var json: [String: Any] {
        ["outcome": outcome.rawValue, "variant": name, "version": version, "canaries": canaries, "converged": converged.count,
         "failed": failed, "pending": pending, "offline": offline, "rolled_back_to": rolledBackTo, "cleared_chunks": clearedChunks, "seconds": seconds]
    }
}

/// `edgec fleet rollout`: canaries first, their reported state watched, halt and roll
/// them back on failure, then the rest of the group (Formats/FLEET.md).
public final class FleetRollout {
    let broker: BrokerOptions
    let group: String
    let secretKey: [UInt8]
    let options: RolloutOptions
    let progress: (String) -> Void
    var client: MqttClient! = nil
    var view: FleetView
    /// The retained desired state as last published by us (republished on reconnect).
    var current: [UInt8]? = nil

    public init(broker: BrokerOptions, group: String, secretKey: [UInt8], options: RolloutOptions, progress: @escaping (String) -> Void = { _ in }) {
        self.broker = broker
        self.group = group
        self.secretKey = secretKey
        self.options = options
        self.progress = progress
        self.view = FleetView(group: group)
    }

    public static func metadata(of artifact: [UInt8]) throws -> ArtifactMetadata {
        guard artifact.count >= 80 else { throw FleetControlError.input("not a signed artifact (\(artifact.count) bytes)") }
        let signer = Array(artifact[48..<80])
        do throws(WireError) {
            return try withBytes(artifact) { raw throws(WireError) in try SignedArtifact(verifying: raw, trusted: [signer]).metadata }
        } catch {
            throw FleetControlError.input("the artifact does not verify: \(error.message)")
        }
    }

    public func run(artifact: [UInt8]) throws -> RolloutReport {
        let t0 = Date()
        let md = try FleetRollout.metadata(of: artifact)
        var report = RolloutReport()
        report.name = md.name
        report.version = md.version
        client = try broker.connect(clientId: "edgec-rollout-\(group)-\(getpid())")
        try view.load(client, seconds: 5)
        let deadline = t0.addingTimeInterval(options.timeoutSeconds)

        let all = view.sorted
        let targets = all.filter { $0.online }.map { $0.id }
        report.offline = all.filter { !$0.online }.map { $0.id }
        guard !targets.isEmpty else { throw FleetControlError.input("no online device in group '\(group)'") }
        let nCanary = options.canaryFraction <= 0 ? 0 : min(targets.count, max(1, Int((options.canaryFraction * Double(targets.count)).rounded(.up))))
        let canaries = Array(targets.prefix(nCanary))
        report.canaries = canaries
        let rest = Array(targets.dropFirst(nCanary))
        let baseline = self.baseline(excluding: canaries)
        var seq = max(UInt64(Date().timeIntervalSince1970 * 1e6), nextSeq())

        // The artifact, retained in chunks, before any device is told about it.
        let sha = Sha256.digest(artifact)
        let ref = ArtifactRef(sha256: sha, bytes: UInt64(artifact.count), chunkBytes: UInt64(options.chunkBytes))
        for i in 0..<ref.chunks {
            let lo = i * options.chunkBytes
            client.publish(Topics.chunk(group, Hex.encode(sha), i), Array(artifact[lo..<min(artifact.count, lo + options.chunkBytes)]), retain: true)
        }
        guard client.waitPublished(timeoutMs: 30_000) else { throw FleetControlError.broker("the broker did not acknowledge the artifact chunks") }
        progress("published \(md.name) v\(md.version) (\(artifact.count) bytes, \(ref.chunks) chunks) to group \(group): \(targets.count) online, \(report.offline.count) offline")

        let before = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
        if !canaries.isEmpty {
            progress("canary: \(canaries.joined(separator: " "))")
            publish(DesiredState(group: group, seq: seq, name: md.name, version: md.version, artifact: ref, devices: canaries))
            var r = wait(for: canaries, seq: seq, name: md.name, version: md.version, deadline: deadline, failFast: options.haltOn)
            if Date() >= deadline {
                for id in r.pending { r.failed[id] = "did not report the new variant before the timeout" }
            }
            if r.failed.count < options.haltOn {
                // Canaries serve for a while; their failure rate must not rise.
                let atStart = view.devices
                view.pump(client, seconds: min(options.observeSeconds, max(0, deadline.timeIntervalSinceNow)))
                for id in r.converged {
                    // The agent itself may undo the install (a failed first request rolls
                    // back): it reports the canary failed.
                    if let d = view.devices[id], d.failed {
                        r.failed[id] = d.lastError.isEmpty ? "failed while observed" : d.lastError
                        continue
                    }
                    if let why = rateRise(id, before: before[id], start: atStart[id], now: view.devices[id]) { r.failed[id] = why }
                }
            }
            report.failed = r.failed
            if r.failed.count >= options.haltOn {
                progress("halting: \(r.failed.count) canary failure(s): " + r.failed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
                report.outcome = .halted
                if let b = baseline {
                    seq += 1
                    seq = max(seq, nextSeq())
                    publish(DesiredState(group: group, seq: seq, name: b.name, version: b.version, artifact: b.artifact, devices: []))
                    report.rolledBackTo = "\(b.name) v\(b.version)"
                    let back = wait(for: canaries, seq: seq, name: b.name, version: b.version,
                                    deadline: min(deadline, Date().addingTimeInterval(30)), failFast: 0)
                    progress("canaries back on \(b.name) v\(b.version): \(back.converged.count) of \(canaries.count)")
                    report.pending = back.pending + back.failed.keys.sorted()
                } else {
                    progress("no common previous variant in the group: canaries stay as they are")
                }
                if options.clearOldChunks, let b = baseline {
                    report.clearedChunks = clearChunks(keeping: b.artifact.map { Hex.encode($0.sha256) })
                }
                report.seconds = Date().timeIntervalSince(t0)
                client.waitPublished(timeoutMs: 5000)
                return report
            }
            progress("canaries healthy (\(r.converged.count)); rolling out to the other \(rest.count)")
            seq += 1
        }
        seq = max(seq, nextSeq())
        publish(DesiredState(group: group, seq: seq, name: md.name, version: md.version, artifact: ref, devices: []))
        let r = wait(for: targets, seq: seq, name: md.name, version: md.version, deadline: deadline, failFast: 0)
        report.converged = r.converged
        report.failed.merge(r.failed) { a, _ in a }
        report.pending = r.pending
        report.outcome = !r.failed.isEmpty ? .failed : (r.pending.isEmpty ? .converged : .incomplete)
        // Only once every online target runs the new variant: until then a device may still
        // be fetching (or fall back to) an older artifact. Offline devices need only the
        // current one, which stays.
        if report.outcome == .converged && options.clearOldChunks {
            report.clearedChunks = clearChunks(keeping: Hex.encode(sha))
        }
        report.seconds = Date().timeIntervalSince(t0)
        progress("\(report.outcome.rawValue): \(r.converged.count) of \(targets.count) on \(md.name) v\(md.version) in \(String(format: "%.1f", report.seconds)) s"
                 + (r.failed.isEmpty ? "" : ", \(r.failed.count) failed") + (r.pending.isEmpty ? "" : ", \(r.pending.count) pending"))
        client.waitPublished(timeoutMs: 5000)
        return report
    }

    /// Above every seq the group has seen, so no agent takes the new state for a replay.
    func nextSeq() -> UInt64 {
        var s: UInt64 = 0
        for d in view.devices.values { s = max(s, d.seq) }
        if let p = view.desiredPayload, let d = try? DesiredState.open(p, trusted: [Ed25519.publicKey(ofSecret: secretKey)]) {
            s = max(s, d.seq)
        }
        return s + 1
    }

    struct Baseline {
        var name: String
        var version: UInt64
        var artifact: ArtifactRef?
    }

    /// What most of the other online devices run: where failed canaries go back to. The
    /// artifact is named too if the retained desired state is that variant.
    func baseline(excluding: [String]) -> Baseline? {
        var counts: [String: (String, UInt64, Int)] = [:]
        for d in view.devices.values where d.online && !excluding.contains(d.id) && !d.active.isEmpty {
            let k = "\(d.active)@\(d.version)"
            counts[k] = (d.active, d.version, (counts[k]?.2 ?? 0) + 1)
        }
        guard let best = counts.values.max(by: { ($0.2, $1.0) < ($1.2, $0.0) }) else { return nil }
        var b = Baseline(name: best.0, version: best.1, artifact: nil)
        if let p = view.desiredPayload, let d = try? DesiredState.open(p, trusted: [Ed25519.publicKey(ofSecret: secretKey)]),
           d.name == b.name, d.version == b.version {
            b.artifact = d.artifact
        }
        return b
    }

    func publish(_ d: DesiredState) {
        let bytes = d.signed(secretKey: secretKey)
        current = bytes
        client.publish(Topics.desired(group), bytes, retain: true)
    }

    struct Wait {
        var converged: [String] = []
        var failed: [String: String] = [:]
        var pending: [String] = []
    }

    /// Until every device reported convergence or failure for `seq`, or the deadline.
    /// `failFast` > 0: return as soon as that many failed.
    func wait(for ids: [String], seq: UInt64, name: String, version: UInt64, deadline: Date, failFast: Int) -> Wait {
        var w = Wait()
        while true {
            w = Wait()
            for id in ids {
                guard let d = view.devices[id], d.seq == seq else { w.pending.append(id); continue }
                if d.state == "converged" && d.active == name && d.version == version { w.converged.append(id) }
                else if d.state == "failed" { w.failed[id] = d.lastError }
                else { w.pending.append(id) }
            }
            if w.pending.isEmpty || Date() >= deadline || (failFast > 0 && w.failed.count >= failFast) { return w }
            let e = client.next(timeoutMs: 100)
            if case .connected(let rc) = e, rc == 0, let c = current {
                // After a broker restart: make sure the desired state is there.
                client.publish(Topics.desired(group), c, retain: true)
            }
            view.handle(e, client: client)
        }
    }

    /// Removes (publishes an empty retained message on) every retained chunk of the group
    /// except those of `keeping`, the artifact the current desired state names: chunks
    /// left by earlier rollouts, halted or interrupted ones included. The broker sends
    /// the retained chunks on subscribing to `edge/<group>/artifacts/#`; the listing
    /// ends after 300 ms without one (at most 10 s). Returns how many were removed.
    func clearChunks(keeping: String?) -> Int {
        let filter = Topics.artifactsAll(group)
        client.subscribe(filter)
        var stale: [String] = []
        var seen = Set<String>()
        let end = Date().addingTimeInterval(10)
        var quietSince = Date()
        while Date() < end && Date().timeIntervalSince(quietSince) < 0.3 {
            let e = client.next(timeoutMs: 50)
            if case .message(let topic, let payload, let retained) = e, let sha = Topics.chunkArtifact(group, topic) {
                quietSince = Date()
                if retained && !payload.isEmpty && sha != keeping && seen.insert(topic).inserted { stale.append(topic) }
                continue
            }
            view.handle(e, client: client)
        }
        client.unsubscribe(filter)
        for t in stale { client.publish(t, [], retain: true) }
        if !client.waitPublished(timeoutMs: 10_000) {
            progress("the broker did not acknowledge every chunk removal; some old chunks may remain")
        }
        if !stale.isEmpty { progress("removed \(stale.count) retained chunk(s) of artifacts no longer desired") }
        return stale.count
    }

    func rateRise(_ id: String, before: DeviceStatus?, start: DeviceStatus?, now: DeviceStatus?) -> String? {
        guard let s = start, let n = now, n.served + n.failedRequests >= s.served + s.failedRequests else { return nil }
        let dn = Double((n.served + n.failedRequests) - (s.served + s.failedRequests))
        guard dn > 0 else { return nil }
        let rate = Double(n.failedRequests - s.failedRequests) / dn
        var old = 0.0
        if let b = before, b.served + b.failedRequests > 0 { old = Double(b.failedRequests) / Double(b.served + b.failedRequests) }
        guard rate > old + options.maxFailureRateRise else { return nil }
        return String(format: "request failure rate rose from %.1f%% to %.1f%% on the new variant", old * 100, rate * 100)
    }
}
