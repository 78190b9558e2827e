import EdgeClient
import EdgeCompiler
import EdgeFormat
import EdgeTrust
import EdgeWire
import Foundation
import XCTest

/// The switching policy under real overload: more concurrent clients than workers on a
/// detector whose runs take milliseconds, so requests queue (in the socket and for the
/// one worker) and the latency the agent measures, from the kernel's receive stamp,
/// grows with the queue. The policy must step down to the fast detector, and step back
/// up once the load is light again. Budgets are multiples of what this agent measures
/// for itself at concurrency 1 (no absolute times: the machine may be slow or loaded),
/// and every wait is bounded and generous.
final class OverloadPolicyTests: AgentTestCase {
    static let detectors = AgentFixtures.root.appendingPathComponent("Tests/Fixtures/detectors")
    static let big = ("det128-w12", 0.591)     // AP50 from the fixtures' manifest
    static let small = ("det48-w6", 0.228)

    func testOverloadStepsDownAndLightLoadStepsBackUp() throws {
        let agent = try AgentProcess(dir: tmp, extra: ["--workers", "1", "--max-connections", "64"], startSeconds: 30)
        let c = AgentClient(address: agent.address)
        for (name, _) in [Self.small, Self.big] {
            let model = try Compiler.compile(onnxPath: Self.detectors.appendingPathComponent(name + ".onnx").path,
                                             options: CompileOptions()).bytes
            let art = try ArtifactSigner.sign(model: model, metadata: ArtifactMetadata(name: name, version: 1, family: "det"), secretKey: key)
            try c.push(art, key: key, activate: false)
        }
        let frame = [("frame", try NpyArray.read(Self.detectors.appendingPathComponent("sample_frame.npy").path))]

        // Each detector's latency at concurrency 1, as this agent measures it (median).
        func measured(_ name: String) throws -> Double {
            try c.command(.activate(name: name), key: key)
            let conn = try AgentConnection(address: agent.address)
            var ms: [Double] = []
            for _ in 0..<30 {
                let r = try c.infer(frame, on: conn)
                XCTAssertEqual(r.variant, name)
                ms.append(Double(r.latencyNanos) / 1e6)
            }
            return ms.sorted()[ms.count / 2]
        }
        let smallMs = try measured(Self.small.0)
        let bigMs = try measured(Self.big.0)
        XCTAssertGreaterThan(bigMs, smallMs, "det128 does more work than det48")
        // 24 clients on 1 worker queue ~24 runs deep: far above 6x one run. One client
        // leaves the fast detector's estimate for the big one (its p95 scaled by
        // bigMs/smallMs) well inside 80% of the budget.
        let budget = 6 * bigMs
        let variants = [PolicyVariant(name: Self.big.0, accuracy: Self.big.1, latencyMs: bigMs),
                        PolicyVariant(name: Self.small.0, accuracy: Self.small.1, latencyMs: smallMs)]
        try c.command(.policy(PolicySpec(variants: variants, budgetMs: budget)), key: key)

        XCTAssertEqual(try c.status().active, Self.big.0)
        let afterDown = try phase(c, agent, frame, concurrency: 24, until: Self.small.0)
        XCTAssertEqual(afterDown.active, Self.small.0, "24 clients on 1 worker (budget \(budget) ms = 6 x \(bigMs) ms): the policy must step down")
        XCTAssertGreaterThanOrEqual(afterDown.policySwitches, 1)
        let afterUp = try phase(c, agent, frame, concurrency: 1, until: Self.big.0)
        XCTAssertEqual(afterUp.active, Self.big.0, "one client again: the policy must step back up (fast detector \(smallMs) ms, budget \(budget) ms)")
        XCTAssertGreaterThanOrEqual(afterUp.policySwitches, 2)
    }

    /// Runs `concurrency` clients until `target` is active (at most 60 s), stops them and
    /// returns the status seen when it became active (or at the time limit). The clients
    /// must see no failed request.
    func phase(_ c: AgentClient, _ agent: AgentProcess, _ frame: [(String, NpyArray)], concurrency: Int,
               until target: String, file: StaticString = #filePath, line: UInt = #line) throws -> AgentStatus {
        let lock = NSLock()
        var stop = false
        var report: LoadGenerator.Report? = nil
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let r = try? LoadGenerator(address: agent.address, inputs: frame).run(
                concurrency: concurrency, seconds: 120, stop: { lock.lock(); defer { lock.unlock() }; return stop })
            lock.lock(); report = r; lock.unlock()
            finished.signal()
        }
        _ = try waitForActive(c, target, seconds: 60)
        let status = try c.status()
        lock.lock(); stop = true; lock.unlock()
        XCTAssertEqual(finished.wait(timeout: .now() + 60), .success, "the load stops", file: file, line: line)
        lock.lock(); let rep = report; lock.unlock()
        let r = try XCTUnwrap(rep, file: file, line: line)
        XCTAssertGreaterThan(r.requests, 0, file: file, line: line)
        XCTAssertEqual(r.failed, 0, "concurrency \(concurrency): \(r.failures.prefix(3))", file: file, line: line)
        return status
    }
}
