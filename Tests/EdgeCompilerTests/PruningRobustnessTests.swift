@testable import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// Channel pruning on every operator and model fixture: first as is (nothing to prune,
/// outputs must still match onnxruntime), then with filters zeroed in the graph (dead,
/// zero-bias and constant channels, unread input channels) where the pruned model must
/// compute what the unpruned one computes.
final class PruningRobustnessTests: XCTestCase {
    /// Zeroes some filters of every Conv, ConvTranspose, Gemm and MatMul with constant
    /// weights (and sets their bias to 0, -0.5 or +0.5), and some input channels of
    /// group-1 Convs. Deterministic.
    static func sparsify(_ graph: Graph) {
        var n = 0
        for node in graph.nodes {
            let wName = node.input(1)
            guard ["Conv", "ConvTranspose", "Gemm", "MatMul"].contains(node.opType),
                  var w = graph.constants[wName], !w.isInteger, w.shape.count >= 2 else { continue }
            var values = w.floats
            var bias: HostTensor? = node.input(2).isEmpty ? nil : graph.constants[node.input(2)]
            var b = bias?.floats
            let shape = w.shape
            // (output channel count, index of element (o, rest))
            let outs: Int
            let index: (Int, Int) -> Int
            let rest: Int
            switch node.opType {
            case "Conv":
                outs = shape[0]; rest = values.count / outs
                index = { o, r in o * rest + r }
            case "ConvTranspose":
                let per = shape[1], sp = shape[2] * shape[3]
                outs = per; rest = shape[0] * sp
                index = { o, r in ((r / sp) * per + o) * sp + r % sp }
            case "Gemm" where node.int("transB", 0) != 0:
                outs = shape[0]; rest = shape[1]
                index = { o, r in o * rest + r }
            default:  // Gemm, MatMul: [K, N]
                guard shape.count == 2 else { continue }
                outs = shape[1]; rest = shape[0]
                index = { o, r in r * outs + o }
            }
            guard outs > 1 else { continue }
            for o in 0..<outs where (o * 7 + n) % 5 < 2 && o != outs - 1 {
                for r in 0..<rest { values[index(o, r)] = 0 }
                if b != nil, b!.count == outs { b![o] = [0, -0.5, 0.5][(o + n) % 3] }
            }
            if node.opType == "Conv", node.int("group", 1) == 1, shape[1] > 2 {
                let cin = shape[1], sp = shape[2] * shape[3]
                let c = (n + 1) % cin
                for o in 0..<shape[0] { for k in 0..<sp { values[(o * cin + c) * sp + k] = 0 } }
            }
            w.data = .float(values)
            graph.constants[wName] = w
            if var bt = bias, let bv = b {
                bt.data = .float(bv)
                bias = bt
                graph.constants[node.input(2)] = bt
            }
            n += 1
        }
    }

    func fixtures() throws -> [FixtureCase] {
        try FixtureCase.all(in: "ops") + FixtureCase.all(in: "models")
    }

    func inputs(_ c: FixtureCase, _ run: FixtureCase.Run) throws -> [String: [Float]] {
        var inputs: [String: [Float]] = [:]
        for (name, file) in run.inputs { inputs[name] = try NpyArray.read(c.directory.appendingPathComponent(file).path).data }
        return inputs
    }

    /// Dense fixtures: pruning changes nothing observable.
    func testAllFixturesWithPruning() throws {
        var problems: [String] = []
        for c in try fixtures() {
            let run = c.runs[0]
            do {
                let out = try PruningPipeline.compile(onnxPath: c.modelPath, prune: true, inputShapes: run.shapes)
                let got = try PruningPipeline.run(out.bytes, try inputs(c, run))
                for (name, file) in run.outputs {
                    let expected = try NpyArray.read(c.directory.appendingPathComponent(file).path).data
                    let err = PruningPipeline.relativeError(got[name] ?? [], expected)
                    if !(err <= c.tolerance) { problems.append("\(c.name): \(name) error \(err)") }
                }
            } catch {
                problems.append("\(c.name): \(error)")
            }
        }
        XCTAssert(problems.isEmpty, problems.joined(separator: "\n"))
    }

    /// The error kinds of the unsupported fixtures do not change.
    func testUnsupportedFixturesStillRejected() throws {
        for c in try FixtureCase.all(in: "unsupported") {
            var dense: EdgeError.Kind? = nil, pruned: EdgeError.Kind? = nil
            do { _ = try PruningPipeline.compile(onnxPath: c.modelPath, prune: false) } catch let e as EdgeError { dense = e.kind }
            do { _ = try PruningPipeline.compile(onnxPath: c.modelPath, prune: true) } catch let e as EdgeError { pruned = e.kind }
            XCTAssertNotNil(pruned, c.name)
            XCTAssertEqual(dense, pruned, c.name)
        }
    }

    /// Sparsified fixtures: pruned and unpruned compile to the same function.
    func testSparsifiedFixturesStayExact() throws {
        var problems: [String] = []
        var removed = 0, folded = 0, cases = 0
        var names: [String] = []
        for c in try fixtures() {
            let run = c.runs[0]
            do {
                let dense = try PruningPipeline.compile(onnxPath: c.modelPath, prune: false, inputShapes: run.shapes, mutate: Self.sparsify)
                let pruned = try PruningPipeline.compile(onnxPath: c.modelPath, prune: true, inputShapes: run.shapes, mutate: Self.sparsify)
                let feeds = try inputs(c, run)
                let a = try PruningPipeline.run(dense.bytes, feeds), b = try PruningPipeline.run(pruned.bytes, feeds)
                for (name, ref) in a {
                    let err = PruningPipeline.relativeError(b[name] ?? [], ref)
                    if !(err <= 1e-5) { problems.append("\(c.name): \(name) pruned differs by \(err)") }
                }
                if pruned.params > dense.params { problems.append("\(c.name): params grew \(dense.params) -> \(pruned.params)") }
                if let r = pruned.report, r.channelsRemoved > 0 { cases += 1; names.append(c.name); removed += r.channelsRemoved; folded += r.foldedConstantChannels }
            } catch {
                problems.append("\(c.name): \(error)")
            }
        }
        print("sparsified fixtures: \(cases) pruned, \(removed) channels removed, \(folded) constant channels folded: \(names.joined(separator: " "))")
        XCTAssert(problems.isEmpty, problems.joined(separator: "\n"))
        XCTAssertGreaterThan(cases, 5)
    }

    /// Same with rounding to multiples of 4.
    func testSparsifiedFixturesWithRounding() throws {
        var problems: [String] = []
        for c in try FixtureCase.all(in: "models") {
            let run = c.runs[0]
            let dense = try PruningPipeline.compile(onnxPath: c.modelPath, prune: false, inputShapes: run.shapes, mutate: Self.sparsify)
            let pruned = try PruningPipeline.compile(onnxPath: c.modelPath, prune: true, roundChannels: 4, inputShapes: run.shapes, mutate: Self.sparsify)
            let feeds = try inputs(c, run)
            let a = try PruningPipeline.run(dense.bytes, feeds), b = try PruningPipeline.run(pruned.bytes, feeds)
            for (name, ref) in a where !(PruningPipeline.relativeError(b[name] ?? [], ref) <= 1e-5) {
                problems.append("\(c.name): \(name) differs")
            }
            for l in pruned.report?.layers ?? [] where l.channelsAfter != l.channelsBefore && l.channelsAfter % 4 != 0 {
                problems.append("\(c.name): \(l.name) has \(l.channelsAfter) channels")
            }
        }
        XCTAssert(problems.isEmpty, problems.joined(separator: "\n"))
    }
}
