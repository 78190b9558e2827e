import EdgeClient
import EdgeWire
import Foundation
import XCTest

final class HotSwapTests: AgentTestCase {
    /// 4 closed-loop clients for the whole run while activations alternate between two
    /// variants with different outputs: no request fails, and every reply's outputs are
    /// those of the variant the reply names. Bounded: 1000 activations or 25 s.
    func testActivationsUnderLoadDropNothing() throws {
        let agent = try AgentProcess(dir: tmp, extra: ["--workers", "2"])
        let c = AgentClient(address: agent.address)
        try c.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true)
        try c.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: false)
        let names = [dense.name, pruned.name]
        let expected = [dense.name: dense.expected, pruned.name: pruned.expected]

        let stop = Date().addingTimeInterval(25)
        let flag = NSLock()
        var finished = false
        var activations = 0
        var controlError: Error? = nil
        let controlDone = DispatchSemaphore(value: 0)
        let loadStarted = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            loadStarted.wait()
            do {
                while activations < 1000 && Date() < stop {
                    try c.command(.activate(name: names[(activations + 1) % 2]), key: self.key)
                    activations += 1
                }
            } catch { controlError = error }
            flag.lock(); finished = true; flag.unlock()
            controlDone.signal()
        }
        // The load runs until the activations are done (the activations begin once it runs).
        var report: LoadGenerator.Report? = nil
        let loadDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            report = try? LoadGenerator(address: agent.address, inputs: self.input()).run(concurrency: 4, seconds: 30, stop: { flag.lock(); defer { flag.unlock() }; return finished }) { r in
                guard let want = expected[r.variant] else { return "reply names unknown variant '\(r.variant)'" }
                guard let got = try? WireTensors.floats(r.outputs[0]) else { return "undecodable output" }
                return AgentFixtures.maxDiff(got, want) <= 1e-5 ? nil : "reply says \(r.variant) but its outputs are another variant's"
            }
            loadDone.signal()
        }
        loadStarted.signal()
        controlDone.wait()
        loadDone.wait()
        XCTAssertNil(controlError)
        let r = try XCTUnwrap(report)
        XCTAssertGreaterThanOrEqual(activations, 100, "too few activations to mean anything")
        XCTAssertGreaterThan(r.requests, 200)
        XCTAssertEqual(r.failed, 0, "failures: \(r.failures.prefix(3))")
        XCTAssertEqual(r.perVariant.count, 2, "both variants served: \(r.perVariant)")
        let s = try c.status()
        XCTAssertEqual(s.failed, 0)
        XCTAssertGreaterThanOrEqual(Int(s.switches), activations)
        print("hot-swap: \(activations) activations, \(r.requests) requests, p50 \(r.percentile(50)) ms, p99 \(r.percentile(99)) ms, \(r.perVariant)")
    }
}
