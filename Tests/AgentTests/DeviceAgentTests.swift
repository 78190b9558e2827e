import EdgeClient
import Foundation
import XCTest

/// The aarch64 Embedded-Swift `edged` (make -C Firmware: Firmware/build/aarch64/stripped/edged)
/// under qemu-aarch64: push, infer, and swaps under a small load. Skipped when the device
/// build is absent, unless EDGE_REQUIRE_DEVICE=1 (as `make test` sets).
final class DeviceAgentTests: AgentTestCase {
    static let binary = AgentFixtures.root.appendingPathComponent("Firmware/build/aarch64/stripped/edged").path

    func launcher() throws -> [String] { try Self.deviceLauncher() }

    static func deviceLauncher() throws -> [String] {
        let required = ProcessInfo.processInfo.environment["EDGE_REQUIRE_DEVICE"] == "1"
        let qemu = ["/usr/bin/qemu-aarch64", "/usr/local/bin/qemu-aarch64"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard FileManager.default.isExecutableFile(atPath: binary), let q = qemu else {
            if required { XCTFail("device edged or qemu-aarch64 missing (make firmware)") }
            throw XCTSkip("device edged not built (make -C Firmware) or qemu-aarch64 missing")
        }
        return [q, binary]
    }

    func testDeviceAgentServesAndSwaps() throws {
        let agent = try AgentProcess(dir: tmp, extra: ["--workers", "1"], launcher: try launcher(), startSeconds: 30)
        let c = AgentClient(address: agent.address)
        try c.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true)
        try c.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: false)
        // aarch64 kernels differ from the host's in rounding, not in the answer.
        let r = try c.infer(input())
        XCTAssertEqual(r.variant, dense.name)
        XCTAssertLessThanOrEqual(AgentFixtures.maxDiff(try outputs(r), dense.expected), 1e-4)

        let names = [dense.name, pruned.name]
        let expected = [dense.name: dense.expected, pruned.name: pruned.expected]
        let flag = NSLock()
        var done = false
        var report: LoadGenerator.Report? = nil
        let loadDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            report = try? LoadGenerator(address: agent.address, inputs: self.input()).run(
                concurrency: 2, seconds: 60, stop: { flag.lock(); defer { flag.unlock() }; return done }) { r in
                guard let want = expected[r.variant], let got = try? WireTensors.floats(r.outputs[0]) else { return "bad reply" }
                return AgentFixtures.maxDiff(got, want) <= 1e-4 ? nil : "reply says \(r.variant) but outputs differ"
            }
            loadDone.signal()
        }
        var activations = 0
        let stop = Date().addingTimeInterval(15)
        while activations < 40 && Date() < stop {
            try c.command(.activate(name: names[(activations + 1) % 2]), key: key)
            activations += 1
        }
        flag.lock(); done = true; flag.unlock()
        loadDone.wait()
        let rep = try XCTUnwrap(report)
        XCTAssertGreaterThanOrEqual(activations, 10)
        XCTAssertGreaterThan(rep.requests, 20)
        XCTAssertEqual(rep.failed, 0, "\(rep.failures.prefix(3))")
        assertRefused(.unauthenticated, "unsigned on the device") { try c.push(dense.model, key: key, activate: true) }
        print("device agent: \(activations) activations, \(rep.requests) requests, p50 \(rep.percentile(50)) ms, \(rep.perVariant)")
    }
}
