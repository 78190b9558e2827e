import EdgeClient
import EdgeTrust
import EdgeWire
import Foundation
import XCTest

final class RefusalTests: AgentTestCase {
    /// Every kind of bad input is refused with its reason while a load client, running
    /// throughout, sees no failure and the active variant keeps serving.
    func testRefusalsWhileServing() throws {
        let agent = try AgentProcess(dir: tmp, extra: ["--max-connections", "4", "--idle-timeout-ms", "1500", "--read-timeout-ms", "400"])
        let c = AgentClient(address: agent.address)
        try c.push(AgentFixtures.artifact(dense, version: 2), key: key, activate: true)

        let flag = NSLock()
        var done = false
        var report: LoadGenerator.Report? = nil
        let loadDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            report = try? LoadGenerator(address: agent.address, inputs: self.input()).run(
                concurrency: 1, seconds: 60, stop: { flag.lock(); defer { flag.unlock() }; return done }) { r in
                r.variant == self.dense.name && AgentFixtures.maxDiff((try? WireTensors.floats(r.outputs[0])) ?? [], self.dense.expected) <= 1e-5
                    ? nil : "served by \(r.variant) with unexpected outputs"
            }
            loadDone.signal()
        }
        usleep(200_000)

        // Artifacts.
        var unsigned = dense.model
        assertRefused(.unauthenticated, "unsigned .edgm") { try c.push(unsigned, key: key, activate: true) }
        var tampered = AgentFixtures.artifact(pruned, version: 1)
        tampered[tampered.count / 2] ^= 0x01
        assertRefused(.unauthenticated, "one tampered byte") { try c.push(tampered, key: key, activate: true) }
        let foreign = AgentFixtures.artifact(pruned, version: 1, key: AgentFixtures.otherKeys.secretKey)
        assertRefused(.unauthenticated, "artifact signed by an untrusted key") { try c.push(foreign, key: key, activate: true) }
        assertRefused(.unauthenticated, "command signed by an untrusted key") {
            try c.push(AgentFixtures.artifact(pruned, version: 1), key: AgentFixtures.otherKeys.secretKey, activate: true)
        }
        assertRefused(.olderVersion, "same version again") { try c.push(AgentFixtures.artifact(dense, version: 2), key: key, activate: true) }
        assertRefused(.olderVersion, "older version") { try c.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true) }
        let full = AgentFixtures.artifact(pruned, version: 1)
        assertRefused(.unauthenticated, "truncated artifact") { try c.push(Array(full[0..<(full.count - 100)]), key: key, activate: true) }
        let badGolden = SignedArtifact.build(model: pruned.model, metadata: ArtifactMetadata(name: pruned.name, version: 1, family: ""),
            inputs: [GoldenTensor(name: "image", shape: [1, 1, 8, 8], values: [Float](repeating: 0.5, count: 64))],
            outputs: [GoldenTensor(name: "logits", shape: [1, 10], values: [Float](repeating: 42, count: 10))], secretKey: key)
        assertRefused(.selfTestFailed, "wrong golden output") { try c.push(badGolden, key: key, activate: true) }
        assertRefused(.noSuchVariant, "activate unknown") { try c.command(.activate(name: "nope"), key: key) }
        assertRefused(.nothingToRollBack, "rollback with no previous") { try c.command(.rollback, key: key) }
        unsigned.removeAll()

        // Push cut off mid-transfer: nothing installed, upload file removed.
        do {
            let conn = try AgentConnection(address: agent.address)
            try conn.send(c.signed(.push(totalBytes: UInt64(full.count), sha256: Sha256.digest(full), activate: true), key: key))
            try conn.send(.pushChunk(offset: 0, data: Array(full[0..<(full.count / 2)])))
        }
        usleep(200_000)
        XCTAssertEqual(try c.status().variants.map(\.name), [dense.name], "a cut push installed something")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.appendingPathComponent("store/tmp").path), [])

        // Replay: the very same signed activation, twice.
        try c.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: false)
        let captured = c.signed(.activate(name: dense.name), key: key)
        let first = try AgentConnection(address: agent.address)
        XCTAssertNoThrow(try first.request(captured))
        assertRefused(.replayedCommand, "replayed command") { _ = try AgentConnection(address: agent.address).request(captured) }

        // Frames.
        assertRefused(.frameTooLarge, "oversized frame") {
            let conn = try AgentConnection(address: agent.address)
            try conn.sendRaw(WireFrame.header(length: 64 << 20))
            _ = try conn.receive()
        }
        assertRefused(.malformedFrame, "garbage frame") {
            let conn = try AgentConnection(address: agent.address)
            try conn.sendRaw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            _ = try conn.receive()
        }
        assertRefused(.unsupportedVersion, "wrong wire version") {
            let conn = try AgentConnection(address: agent.address)
            var f = WireFrame.wrap(Envelope(requestId: 1, .status).encode())
            f[2] = 9
            try conn.sendRaw(f)
            _ = try conn.receive()
        }
        assertRefused(.timeout, "slow client (half a frame, then silence)") {
            let conn = try AgentConnection(address: agent.address)
            let f = WireFrame.wrap(Envelope(requestId: 1, .status).encode())
            try conn.sendRaw(Array(f[0..<(f.count - 1)]))
            _ = try conn.receive()
        }
        do {
            // Limit 4: the load client holds one; three idle ones fill it up.
            let idle = try (0..<3).map { _ in try AgentConnection(address: agent.address) }
            usleep(100_000)
            assertRefused(.tooManyConnections, "connection over the limit") { _ = try AgentConnection(address: agent.address).request(.status) }
            XCTAssertEqual(idle.count, 3)
        }
        usleep(300_000)

        // Store quota (a second agent with a small quota).
        let small = try AgentProcess(dir: tmp.appendingPathComponent("small").creatingDirectory(), extra: ["--quota-bytes", "100000"])
        let sc = AgentClient(address: small.address)
        try sc.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true)
        assertRefused(.quotaExceeded, "over the store quota") { try sc.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: true) }
        XCTAssertEqual(try sc.infer(input()).variant, dense.name)

        flag.lock(); done = true; flag.unlock()
        loadDone.wait()
        let r = try XCTUnwrap(report)
        XCTAssertGreaterThan(r.requests, 50)
        XCTAssertEqual(r.failed, 0, "the load client saw failures: \(r.failures.prefix(3))")
        let s = try c.status()
        XCTAssertEqual(s.active, dense.name)
        XCTAssertGreaterThanOrEqual(s.refused, 15)
    }
}

extension URL {
    func creatingDirectory() throws -> URL {
        try FileManager.default.createDirectory(at: self, withIntermediateDirectories: true)
        return self
    }
}
