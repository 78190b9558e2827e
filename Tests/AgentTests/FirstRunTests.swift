import EdgeClient
import EdgeCompiler
import EdgePruneInit
import EdgeWire
import Foundation
import XCTest

/// A variant whose self-test passes but whose first real request fails is rolled back
/// to the variant that served before, which answers that request.
final class FirstRunTests: AgentTestCase {
    static let ops = AgentFixtures.root.appendingPathComponent("Tests/Fixtures/ops")

    /// A model with another interface (Abs of x [1,3,4,5]): its own self-test passes, the
    /// clients' `image` requests do not fit it (a variant built for another input: the
    /// usual way a good artifact fails in the field).
    func otherInterface() throws -> AgentFixtures.Variant {
        let onnx = FirstRunTests.ops.appendingPathComponent("abs/model.onnx").path
        return AgentFixtures.Variant(name: "other", model: try Compiler.compile(onnxPath: onnx, options: CompileOptions()).bytes, expected: [])
    }

    /// 1/x on `image` [1,1,8,8]: the self-test's random input has no zeros, so it passes;
    /// a digits image has zero pixels, so the first real request yields infinities.
    func reciprocal() throws -> AgentFixtures.Variant {
        var m = try OnnxReader.read(path: FirstRunTests.ops.appendingPathComponent("reciprocal/model.onnx").path)
        let dims: [OnnxDim] = [.value(1), .value(1), .value(8), .value(8)]
        let old = m.graph.inputs[0].name
        m.graph.inputs[0].name = "image"
        m.graph.inputs[0].shape = dims
        m.graph.outputs[0].shape = dims
        for i in m.graph.nodes.indices {
            m.graph.nodes[i].inputs = m.graph.nodes[i].inputs.map { $0 == old ? "image" : $0 }
        }
        let bytes = try Compiler.compile(onnxBytes: try OnnxWriter.serialize(m), name: "reciprocal", options: CompileOptions()).bytes
        return AgentFixtures.Variant(name: "reciprocal", model: bytes, expected: [])
    }

    func testFailedFirstRequestRollsBackAndIsServedByThePrevious() throws {
        let agent = try AgentProcess(dir: tmp)
        let c = AgentClient(address: agent.address)
        try c.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true)
        XCTAssertEqual(try c.infer(input()).variant, dense.name)
        XCTAssertTrue(try c.push(AgentFixtures.artifact(try otherInterface(), version: 1), key: key, activate: true).contains("active"))
        XCTAssertEqual(try c.status().active, "other", "the self-test passed, so it was activated")

        // The first real request fails on it: served by the previous variant instead.
        let r = try c.infer(input())
        XCTAssertEqual(r.variant, dense.name)
        XCTAssertEqual(try outputs(r), dense.expected)
        var s = try c.status()
        XCTAssertEqual(s.active, dense.name)
        XCTAssertEqual(s.previous, "other")
        XCTAssertEqual(s.firstRunRollbacks, 1)
        XCTAssertEqual(s.failed, 0)

        // A request that fails on both is the request's fault: refused, no rollback.
        try c.command(.activate(name: "other"), key: key)
        let bad = [("not-an-input", AgentFixtures.sample)]
        assertRefused(.badRequest, "input no variant has") { _ = try c.infer(bad) }
        s = try c.status()
        XCTAssertEqual(s.active, "other")
        XCTAssertEqual(s.firstRunRollbacks, 1)
        // The next good request decides: rolled back again.
        XCTAssertEqual(try c.infer(input()).variant, dense.name)
        XCTAssertEqual(try c.status().firstRunRollbacks, 2)

        // A variant that serves its first request passes probation: later failures
        // (the request's fault) do not roll anything back.
        try c.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: true)
        XCTAssertEqual(try c.infer(input()).variant, pruned.name)
        assertRefused(.badRequest, "bad input after probation") { _ = try c.infer(bad) }
        s = try c.status()
        XCTAssertEqual(s.active, pruned.name)
        XCTAssertEqual(s.firstRunRollbacks, 2)

        // Non-finite outputs on the first request count as a failure too.
        try c.push(AgentFixtures.artifact(try reciprocal(), version: 1), key: key, activate: true)
        XCTAssertEqual(try c.status().active, "reciprocal")
        let rr = try c.infer(input())
        XCTAssertEqual(rr.variant, pruned.name)
        XCTAssertEqual(try outputs(rr), pruned.expected)
        s = try c.status()
        XCTAssertEqual(s.active, pruned.name)
        XCTAssertEqual(s.previous, "reciprocal")
        XCTAssertEqual(s.firstRunRollbacks, 3)
        XCTAssertEqual(s.failed, 2, "only the two requests no variant could serve")

        // The rollback was durable: after kill -9 the state is the same.
        agent.kill()
        let again = try AgentProcess(dir: tmp)
        let s2 = try AgentClient(address: again.address).status()
        XCTAssertEqual(s2.active, pruned.name)
        XCTAssertEqual(s2.previous, "reciprocal")
    }
}
