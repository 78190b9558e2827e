import EdgeClient
import EdgeCompiler
import EdgeFleet
import EdgeFleetControl
import EdgeTestSupport
import EdgeTrust
import EdgeWire
import Foundation
import XCTest

/// Fleet rollouts through a real mosquitto (password login, anonymous refused) to real
/// edged processes on 127.0.0.1. Every wait is bounded; everything is killed at the end.
final class FleetTests: FleetTestCase {
    /// 20 agents, 10% canary: all converge; a load client on a canary and on another
    /// device sees no failed request; a device killed and restarted mid-rollout converges.
    func testCanaryRolloutConvergesUnderLoadWithRestart() throws {
        let broker = try MosquittoBroker(dir: tmp.appendingPathComponent("broker"))
        var agents = try startFleet(20, broker: broker)
        let expected = [dense.name: dense.expected, pruned.name: pruned.expected]
        let flag = NSLock()
        var stop = false
        let loads = [0, 10].map { i in
            Background { () -> LoadGenerator.Report in
                try LoadGenerator(address: agents[i].address, inputs: self.input()).run(
                    concurrency: 1, seconds: 60, stop: { flag.lock(); defer { flag.unlock() }; return stop }) { r in
                    guard let want = expected[r.variant], let got = try? WireTensors.floats(r.outputs[0]) else { return "unexpected reply from \(r.variant)" }
                    return AgentFixtures.maxDiff(got, want) <= 1e-5 ? nil : "\(r.variant) replied with another variant's outputs"
                }
            }
        }
        usleep(300_000)
        let t0 = Date()
        let target = AgentFixtures.artifact(pruned, version: 1)
        let run = Background { try self.rollout(broker, target) }
        // Mid-rollout: once the canaries run the new variant, kill -9 a non-canary and start it again.
        try waitFleet(broker, seconds: 20, what: "canaries converged") { v in
            ["dev-00", "dev-01"].allSatisfy { v.devices[$0]?.active == self.pruned.name }
        }
        agents[19].kill()
        usleep(200_000)
        agents[19] = try startAgent(19, broker: broker)
        let report = try run.join(seconds: 60)
        let seconds = Date().timeIntervalSince(t0)
        usleep(500_000)  // the load goes on after convergence: its last replies come from the new variant
        flag.lock(); stop = true; flag.unlock()
        let reports = try loads.map { try $0.join(seconds: 10) }

        XCTAssertEqual(report.outcome, .converged, "failed: \(report.failed) pending: \(report.pending)")
        XCTAssertEqual(report.canaries, ["dev-00", "dev-01"])
        XCTAssertEqual(report.converged.count, 20)
        for (i, r) in reports.enumerated() {
            XCTAssertGreaterThan(r.requests, 20, "load client \(i)")
            XCTAssertEqual(r.failed, 0, "load client \(i): \(r.failures.prefix(3))")
            XCTAssertNotNil(r.perVariant["\(pruned.name) v1"], "load client \(i) never saw the new variant: \(r.perVariant)")
        }
        for a in agents {
            let s = try AgentClient(address: a.address).status()
            XCTAssertEqual(s.active, pruned.name, a.dir.lastPathComponent)
            XCTAssertEqual(s.previous, dense.name, a.dir.lastPathComponent)
        }
        print("fleet: 20 agents converged in \(String(format: "%.2f", seconds)) s (rollout \(String(format: "%.2f", report.seconds)) s), load \(reports.map { $0.requests }) requests, 0 failed")
    }

    /// An artifact whose self-test fails halts at the two canaries; the other 18 never
    /// see it (catalog, active variant and switch count unchanged).
    func testFailedSelfTestHaltsAtCanaries() throws {
        let broker = try MosquittoBroker(dir: tmp.appendingPathComponent("broker"))
        let agents = try startFleet(20, broker: broker)
        let bad = SignedArtifact.build(model: pruned.model, metadata: ArtifactMetadata(name: pruned.name, version: 1, family: "digits"),
            inputs: [GoldenTensor(name: "image", shape: [1, 1, 8, 8], values: [Float](repeating: 0.5, count: 64))],
            outputs: [GoldenTensor(name: "logits", shape: [1, 10], values: [Float](repeating: 42, count: 10))], secretKey: key)
        let report = try rollout(broker, bad)
        XCTAssertEqual(report.outcome, .halted)
        XCTAssertEqual(report.exitCode, 10)
        XCTAssertEqual(report.canaries, ["dev-00", "dev-01"])
        XCTAssertFalse(report.failed.isEmpty)
        for (_, why) in report.failed { XCTAssertTrue(why.contains("self-test") || why.contains("did not report"), why) }
        XCTAssertEqual(report.rolledBackTo, "\(dense.name) v1")
        for (i, a) in agents.enumerated() {
            let s = try AgentClient(address: a.address).status()
            XCTAssertEqual(s.active, dense.name, deviceId(i))
            XCTAssertEqual(s.variants.map(\.name), [dense.name], deviceId(i))
            XCTAssertEqual(s.switches, 0, deviceId(i))
        }
        // The CLI view of the same group.
        let out = try runEdgec(["fleet", "status", "--broker", broker.address, "--group", FleetTestCase.group,
                                "--mqtt-user", MosquittoBroker.user, "--mqtt-password-file", broker.passwordFile, "--json"])
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let devices = try XCTUnwrap(obj["devices"] as? [[String: Any]])
        XCTAssertEqual(devices.count, 20)
        for d in devices {
            for k in ["id", "group", "online", "active", "version", "failed", "last_error"] { XCTAssertNotNil(d[k], "status --json lacks '\(k)'") }
            XCTAssertEqual(d["active"] as? String, dense.name)
            XCTAssertEqual(d["online"] as? Bool, true)
        }
    }

    /// Unsigned, foreign-signed and replayed (older seq) desired states are ignored,
    /// counted and reported; a wrong password is refused by the broker.
    func testUnsignedAndReplayedDesiredStatesAreIgnored() throws {
        let broker = try MosquittoBroker(dir: tmp.appendingPathComponent("broker"))
        let agents = try startFleet(3, broker: broker)
        let r = try rollout(broker, AgentFixtures.artifact(pruned, version: 1), canary: 0)
        XCTAssertEqual(r.outcome, .converged)

        let c = try broker.options.connect(clientId: "test-attacker")
        let old = DesiredState(group: FleetTestCase.group, seq: 5, name: dense.name, version: 1, artifact: nil, devices: [])
        var unsigned = Array(old.signed(secretKey: key).dropLast(139))  // drop the signature line
        unsigned += Array("signature \(String(repeating: "0", count: 128))\n".utf8)
        let cases: [(String, [UInt8])] = [
            ("unsigned", Array(String(decoding: unsigned, as: UTF8.self).split(separator: "\n").dropLast().joined(separator: "\n").utf8) + [10]),
            ("does not verify", unsigned),
            ("does not verify", old.signed(secretKey: AgentFixtures.otherKeys.secretKey)),
            ("replay", old.signed(secretKey: key)),
        ]
        for (n, (why, payload)) in cases.enumerated() {
            XCTAssertTrue(c.publish(Topics.desired(FleetTestCase.group), payload, retain: true))
            try waitFleet(broker, seconds: 10, what: "rejection '\(why)' reported") { v in
                v.devices.values.count == 3 && v.devices.values.allSatisfy { $0.rejected == UInt64(n + 1) && $0.lastError.contains(why) }
            }
        }
        for a in agents { XCTAssertEqual(try AgentClient(address: a.address).status().active, pruned.name) }

        // Without the right password the broker refuses the connection.
        var wrong = broker.options
        wrong.password = "wrong"
        XCTAssertThrowsError(try FleetView(group: FleetTestCase.group).load(try wrong.connect(clientId: "test-wrong"), seconds: 5))
    }

    /// The broker goes down during the rollout and comes back (retained messages
    /// persisted): agents and the controller reconnect and the group converges.
    func testBrokerRestartMidRollout() throws {
        let broker = try MosquittoBroker(dir: tmp.appendingPathComponent("broker"))
        let agents = try startFleet(20, broker: broker)
        let run = Background { try self.rollout(broker, AgentFixtures.artifact(self.pruned, version: 1), timeout: 60) }
        try waitFleet(broker, seconds: 20, what: "a canary fetching or done") { v in
            v.devices["dev-00"].map { $0.state != "idle" && $0.seq > 0 } ?? false
        }
        broker.stop()
        usleep(500_000)
        try broker.start()
        let report = try run.join(seconds: 70)
        XCTAssertEqual(report.outcome, .converged, "failed: \(report.failed) pending: \(report.pending)")
        for a in agents { XCTAssertEqual(try AgentClient(address: a.address).status().active, pruned.name) }
    }

    /// A canary whose new variant fails on real requests halts the rollout. The variant
    /// (exported with another input signature, x 1x1x4x4) passes its own self-test but
    /// every request the client sends fails on it; the agent's first-run check serves that
    /// request from the previous variant and rolls back, the fleet client reports the
    /// canary failed, the controller halts, the others never see the variant, and its
    /// chunks leave the broker. The client sees no failed request.
    func testFailingVariantOnACanaryHaltsTheRollout() throws {
        let broker = try MosquittoBroker(dir: tmp.appendingPathComponent("broker"))
        let agents = try startFleet(10, broker: broker)
        let onnx = AgentFixtures.root.appendingPathComponent("Tests/Fixtures/onnx_reader/tiny_conv.onnx").path
        let model = try Compiler.compile(onnxPath: onnx, options: CompileOptions()).bytes
        let wrong = try ArtifactSigner.sign(model: model, metadata: ArtifactMetadata(name: "wrong-io", version: 1, family: "digits"), secretKey: key)
        let flag = NSLock()
        var stop = false
        let load = Background { () -> LoadGenerator.Report in
            try LoadGenerator(address: agents[0].address, inputs: self.input()).run(
                concurrency: 1, seconds: 60, stop: { flag.lock(); defer { flag.unlock() }; return stop })
        }
        usleep(700_000)  // served requests on the old variant: the rate before the rollout
        let report = try rollout(broker, wrong, canary: 0.2, observe: 2)
        flag.lock(); stop = true; flag.unlock()
        let served = try load.join(seconds: 10)

        XCTAssertEqual(report.outcome, .halted, "failed: \(report.failed)")
        XCTAssertEqual(report.canaries, ["dev-00", "dev-01"])
        let why = try XCTUnwrap(report.failed["dev-00"], "the loaded canary did not count as failed: \(report.failed)")
        XCTAssertTrue(why.contains("rolled back by the agent"), why)
        XCTAssertNil(report.failed["dev-01"], "dev-01 served nothing, its first run cannot have failed")
        XCTAssertEqual(report.rolledBackTo, "\(dense.name) v1")
        XCTAssertEqual(served.failed, 0, "the previous variant answers a failed first request: \(served.failures.prefix(3))")
        XCTAssertGreaterThan(served.requests, 0)
        for (i, a) in agents.enumerated() {
            let s = try AgentClient(address: a.address).status()
            XCTAssertEqual(s.active, dense.name, deviceId(i))
            if i >= 2 { XCTAssertEqual(s.variants.map(\.name), [dense.name], deviceId(i)) }
        }
        // Serving again after the rollback.
        XCTAssertEqual(try AgentClient(address: agents[0].address).infer(input()).variant, dense.name)
        XCTAssertEqual(report.clearedChunks, (wrong.count + (16 << 10) - 1) / (16 << 10))
        XCTAssertEqual(try retainedChunks(broker), [:])
    }

    /// After a converged rollout the retained chunks of the artifact it replaced are
    /// removed; the current artifact's stay, so a device that joins later still converges.
    func testOldChunksRemovedAfterConvergence() throws {
        let broker = try MosquittoBroker(dir: tmp.appendingPathComponent("broker"))
        let agents = try startFleet(3, broker: broker)  // alive until the end of the test
        let first = AgentFixtures.artifact(pruned, version: 1)
        let second = AgentFixtures.artifact(pruned, version: 2)
        let chunks = { (a: [UInt8]) in (a.count + (16 << 10) - 1) / (16 << 10) }
        let r1 = try rollout(broker, first, canary: 0)
        XCTAssertEqual(r1.outcome, .converged)
        XCTAssertEqual(r1.clearedChunks, 0)
        XCTAssertEqual(try retainedChunks(broker), [Hex.encode(Sha256.digest(first)): chunks(first)])
        let r2 = try rollout(broker, second, canary: 0)
        XCTAssertEqual(r2.outcome, .converged)
        XCTAssertEqual(r2.clearedChunks, chunks(first))
        XCTAssertEqual(try retainedChunks(broker), [Hex.encode(Sha256.digest(second)): chunks(second)])
        // A new device (nothing installed) follows the retained desired state and chunks.
        let late = try startAgent(3, broker: broker)
        try waitFleet(broker, seconds: 20, what: "the late device on v2") { v in
            v.devices["dev-03"].map { $0.active == self.pruned.name && $0.version == 2 && $0.state == "converged" } ?? false
        }
        XCTAssertEqual(try AgentClient(address: late.address).status().active, pruned.name)
        for a in agents {
            let s = try AgentClient(address: a.address).status()
            XCTAssertEqual(s.active, pruned.name)
            XCTAssertEqual(s.variants.first { $0.name == pruned.name }?.version, 2)
        }
    }

    /// A TLS-only broker (self-signed certificate made by openssl): agents and the
    /// controller verify it and the rollout converges; a plain-TCP client gets nowhere.
    func testRolloutOverTLS() throws {
        let broker = try MosquittoBroker(dir: tmp.appendingPathComponent("broker"), tls: true)
        let agents = try startFleet(3, broker: broker)
        let r = try rollout(broker, AgentFixtures.artifact(pruned, version: 1), canary: 0)
        XCTAssertEqual(r.outcome, .converged, "failed: \(r.failed) pending: \(r.pending)")
        for a in agents { XCTAssertEqual(try AgentClient(address: a.address).status().active, pruned.name) }
        var plain = broker.options
        plain.tls = MqttTLS()
        XCTAssertThrowsError(try FleetView(group: FleetTestCase.group).load(try plain.connect(clientId: "test-plain"), seconds: 3))
    }

    /// Artifact SHA-256 -> number of non-empty retained chunks on the broker.
    func retainedChunks(_ broker: MosquittoBroker) throws -> [String: Int] {
        let c = try broker.options.connect(clientId: "test-chunks")
        var found: [String: Int] = [:]
        var subscribed = false
        var quietSince = Date()
        let end = Date().addingTimeInterval(10)
        while Date() < end && (!subscribed || Date().timeIntervalSince(quietSince) < 0.5) {
            switch c.next(timeoutMs: 50) {
            case .connected(let rc) where rc == 0:
                c.subscribe(Topics.artifactsAll(FleetTestCase.group))
                subscribed = true
                quietSince = Date()
            case .message(let topic, let payload, let retained):
                if retained, !payload.isEmpty, let sha = Topics.chunkArtifact(FleetTestCase.group, topic) { found[sha, default: 0] += 1 }
                quietSince = Date()
            default: break
            }
        }
        XCTAssertTrue(subscribed, "no connection to the broker")
        return found
    }
}
