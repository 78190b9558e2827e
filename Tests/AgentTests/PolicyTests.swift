import EdgeClient
import EdgeWire
import Foundation
import XCTest

final class PolicyTests: AgentTestCase {
    /// With a budget every variant meets, the policy serves the most accurate one; with a
    /// budget none meets, the fastest; with room again it steps back up. Requests keep
    /// succeeding throughout. (Offline numbers are set so the order is unambiguous.)
    func testPolicyStepsDownAndBackUp() throws {
        let agent = try AgentProcess(dir: tmp)
        let c = AgentClient(address: agent.address)
        try c.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: true)
        try c.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: false)
        let variants = [PolicyVariant(name: dense.name, accuracy: 0.99, latencyMs: 0.05),
                        PolicyVariant(name: pruned.name, accuracy: 0.95, latencyMs: 0.04)]
        let flag = NSLock()
        var done = false
        var report: LoadGenerator.Report? = nil
        let loadDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            report = try? LoadGenerator(address: agent.address, inputs: self.input()).run(
                concurrency: 1, seconds: 40, stop: { flag.lock(); defer { flag.unlock() }; return done })
            loadDone.signal()
        }

        func waitFor(_ name: String, seconds: Double) throws -> Bool { try waitForActive(c, name, seconds: seconds) }
        try c.command(.policy(PolicySpec(variants: variants, budgetMs: 10_000)), key: key)
        XCTAssertTrue(try waitFor(dense.name, seconds: 8), "generous budget: the most accurate variant")
        try c.command(.policy(PolicySpec(variants: variants, budgetMs: 0.000_001)), key: key)
        XCTAssertTrue(try waitFor(pruned.name, seconds: 8), "impossible budget: the fastest variant")
        try c.command(.policy(PolicySpec(variants: variants, budgetMs: 10_000)), key: key)
        XCTAssertTrue(try waitFor(dense.name, seconds: 8), "room again: back up")
        let s = try c.status()
        XCTAssertGreaterThanOrEqual(s.policySwitches, 3)
        XCTAssertEqual(s.policyBudgetMs, 10_000)
        try c.command(.policy(PolicySpec(variants: [], budgetMs: 0)), key: key)
        XCTAssertEqual(try c.status().policyBudgetMs, 0)
        flag.lock(); done = true; flag.unlock()
        loadDone.wait()
        let r = try XCTUnwrap(report)
        XCTAssertEqual(r.failed, 0, "\(r.failures.prefix(3))")
    }
}
