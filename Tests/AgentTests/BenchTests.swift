import EdgeClient
import EdgeFormat
import EdgePlanner
import EdgeRuntime
import EdgeTrust
import EdgeWire
import Foundation
import XCTest

/// The Bench message (per-layer times from the agent's own interpreter) and
/// `edgec profile --remote` on top of it.
final class BenchTests: AgentTestCase {
    func testBenchReportsEveryLayerOfTheVariant() throws {
        let agent = try AgentProcess(dir: tmp)
        let c = AgentClient(address: agent.address)
        assertRefused(.noActiveVariant, "bench with nothing active") { _ = try c.bench(iterations: 3) }
        try c.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true)
        try c.push(AgentFixtures.artifact(pruned, version: 2), key: key, activate: false)
        let local = try Interpreter(bytes: dense.model)

        let r = try c.bench(iterations: 7)
        XCTAssertEqual(r.variant, dense.name)
        XCTAssertEqual(r.variantVersion, 1)
        XCTAssertEqual(r.iterations, 7)
        XCTAssertEqual(r.modelSha256, Sha256.digest(dense.model))
        XCTAssertEqual(r.layers.count, local.model.ops.count)
        for (i, l) in r.layers.enumerated() {
            let op = local.model.ops[i]
            XCTAssertEqual(l.op, op.code.name)
            let out = local.model.tensors[Int(op.outputs[0])]
            XCTAssertEqual(l.outputShape, out.shape)
            XCTAssertEqual(l.outputBytes, UInt64(out.elementCount * 4))
            XCTAssertTrue(l.seconds > 0 && l.seconds < 1, "layer \(i): \(l.seconds) s")
        }
        let sum = r.layers.reduce(0.0) { $0 + $1.seconds }
        XCTAssertTrue(r.totalSeconds > 0 && r.totalSeconds < 1)
        XCTAssertLessThan(abs(sum - r.totalSeconds), max(r.totalSeconds, 1e-4), "per-layer medians roughly add up to the pass")

        // A named variant that is installed but not loaded is loaded for the bench.
        let p = try c.bench(variant: pruned.name, iterations: 2)
        XCTAssertEqual(p.variant, pruned.name)
        XCTAssertEqual(p.variantVersion, 2)
        XCTAssertEqual(p.modelSha256, Sha256.digest(pruned.model))
        assertRefused(.noSuchVariant, "bench of an unknown variant") { _ = try c.bench(variant: "nope", iterations: 2) }
        assertRefused(.badRequest, "bench of 0 iterations") { _ = try c.bench(iterations: 0) }
        assertRefused(.badRequest, "bench of too many iterations") { _ = try c.bench(iterations: 100_000) }
        XCTAssertEqual(try c.infer(input()).variant, dense.name, "serving goes on")
    }

    func testProfileRemoteWritesTheSameSchemaAsTheLocalProfiler() throws {
        let agent = try AgentProcess(dir: tmp)
        let c = AgentClient(address: agent.address)
        try c.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true)
        try c.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: false)
        let model = tmp.appendingPathComponent("dense.edgm")
        try Data(dense.model).write(to: model)
        let remote = tmp.appendingPathComponent("remote.json").path
        let localOut = tmp.appendingPathComponent("local.json").path
        _ = try runEdgec(["profile", model.path, "--system", "board", "--tier", "device", "--iterations", "5",
                          "--remote", agent.address, "-o", remote])
        _ = try runEdgec(["profile", model.path, "--system", "host", "--tier", "edge", "--iterations", "5", "-o", localOut])
        let r = try SystemProfile.load(remote)
        let l = try SystemProfile.load(localOut)
        XCTAssertEqual(r.models.count, 1)
        let rm = r.models[0], lm = l.models[0]
        XCTAssertEqual(rm.runner, "edged")
        XCTAssertEqual(rm.iterations, 5)
        XCTAssertEqual(rm.inputBytes, lm.inputBytes)
        XCTAssertEqual(rm.blocks.count, lm.blocks.count)
        for (a, b) in zip(rm.blocks, lm.blocks) {
            XCTAssertEqual(a.firstLayer, b.firstLayer)
            XCTAssertEqual(a.lastLayer, b.lastLayer)
            XCTAssertEqual(a.outputBytes, b.outputBytes)
            XCTAssertEqual(a.flops, b.flops)
            XCTAssertTrue(a.seconds > 0 && a.seconds < 1)
        }
        XCTAssertTrue(r.source?.contains("--remote") ?? false)

        // The agent's active variant is another model: refused by digest, exit 2;
        // --variant names the right one.
        try c.command(.activate(name: pruned.name), key: key)
        XCTAssertEqual(try edgecStatus(["profile", model.path, "--system", "board", "--tier", "device", "--remote", agent.address,
                                        "-o", tmp.appendingPathComponent("x.json").path]), 2)
        _ = try runEdgec(["profile", model.path, "--system", "board", "--tier", "device", "--remote", agent.address,
                          "--variant", dense.name, "-o", tmp.appendingPathComponent("y.json").path])
        // Nobody listening: exit 9.
        XCTAssertEqual(try edgecStatus(["profile", model.path, "--system", "board", "--tier", "device", "--remote", "127.0.0.1:1",
                                        "-o", tmp.appendingPathComponent("z.json").path]), 9)
    }
}
