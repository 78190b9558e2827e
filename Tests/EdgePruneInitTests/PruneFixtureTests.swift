import EdgeCompiler
import EdgeFormat
import EdgePruneInit
import EdgeRuntime
import Foundation
import XCTest

/// Tests/Fixtures/prune (Tools/make_prune_fixtures.py): models pruned by `edgec prune`
/// with fixed options, and onnxruntime's outputs on them. Pruning again must give the
/// same channel counts, and the pruned ONNX must compute in Edge what onnxruntime computed.
final class PruneFixtureTests: XCTestCase {
    struct Case {
        var name: String
        var json: [String: Any]
        var dir: URL
        var options: PruneOptions {
            var o = PruneOptions()
            o.method = PruneOptions.Method(rawValue: json["method"] as! String)!
            o.keep = json["keep"] as! Double
            o.seed = UInt64(json["seed"] as! Int)
            return o
        }
        var source: String { Fixtures.path(json["source"] as! String) }
    }

    static func cases() throws -> [Case] {
        let dir = Fixtures.root.appendingPathComponent("prune")
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().compactMap { name in
            let d = dir.appendingPathComponent(name)
            let file = d.appendingPathComponent("case.json")
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
            return Case(name: name, json: json, dir: d)
        }
    }

    func testFixturesExist() throws {
        XCTAssertGreaterThanOrEqual(try Self.cases().count, 6)
    }

    func testPrunedModelsMatchOnnxRuntimeAndTheGeneratorsChannels() throws {
        for c in try Self.cases() {
            let result = try PruneInit.run(path: c.source, options: c.options)
            XCTAssertEqual(outputChannels(result.model), c.json["channels"] as! [String: Int], c.name)
            XCTAssertEqual(result.report.paramsAfter, c.json["params_after"] as! Int, c.name)
            XCTAssertLessThan(result.report.paramsAfter, result.report.paramsBefore, c.name)
            // The written file reads back as the model that was returned.
            let back = try OnnxReader.read(bytes: result.bytes)
            XCTAssertEqual(back.graph.nodes.count, result.model.graph.nodes.count, c.name)
            let x = try NpyArray.read(Fixtures.path(c.json["input"] as! String))
            let want = try NpyArray.read(c.dir.appendingPathComponent("out.npy").path)
            let got = try runInEdge(result.bytes, input: c.json["input_name"] as! String, output: c.json["output_name"] as! String, x)
            XCTAssertEqual(got.count, want.data.count, c.name)
            let tol = Float(c.json["tolerance"] as! Double)
            var worst: Float = 0
            for (a, b) in zip(got, want.data) { worst = max(worst, abs(a - b) / (1 + abs(b))) }
            XCTAssertLessThanOrEqual(worst, tol, "\(c.name): worst relative error \(worst)")
        }
    }

    /// Residual groups: every conv whose output meets another at an Add keeps as many
    /// channels as it; depthwise convs keep group == channels.
    func testTiedChannelsStayTied() throws {
        for c in try Self.cases() {
            let result = try PruneInit.run(path: c.source, options: c.options)
            let g = result.model.graph
            var channelsOf: [String: Int] = [:]
            for n in g.nodes where n.opType == "Conv" {
                let w = try XCTUnwrap(g.initializer(named: n.inputs[1]))
                channelsOf[n.outputs[0]] = Int(w.dims[0])
                if case .int(let groups)? = n.attributes["group"], groups > 1 {
                    XCTAssertEqual(w.dims[1], 1, "\(c.name) \(n.name): only depthwise grouped convs are pruned")
                    XCTAssertEqual(Int64(w.dims[0]) % groups, 0, "\(c.name) \(n.name)")
                }
            }
            // Compiling re-infers every shape: a mismatch anywhere (Add, Concat, Gemm) fails here.
            XCTAssertNoThrow(try Compiler.compile(onnxBytes: result.bytes, name: c.name, options: CompileOptions()), c.name)
        }
    }
}
