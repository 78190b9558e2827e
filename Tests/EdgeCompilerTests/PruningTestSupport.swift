@testable import EdgeCompiler
import EdgeFormat
import EdgeReports
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// `Compiler.compile` with the options pruning tests vary, and the parameter count as
/// `edgec inspect --json` reports it.
enum PruningPipeline {
    struct Output {
        var bytes: [UInt8]
        var report: PruningReport?
        var params: Int
    }

    /// `mutate` runs after activation fusion, before pruning (tests use it to zero filters).
    static func compile(onnxPath: String, prune: Bool, roundChannels: Int = 1, inputShapes: [String: [Int]] = [:],
                        mutate: ((Graph) -> Void)? = nil) throws -> Output {
        var options = CompileOptions()
        options.prune = prune
        options.roundChannels = roundChannels
        options.inputShapes = inputShapes
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: onnxPath)))
        let result = try Compiler.compile(onnxBytes: bytes, name: "model", options: options, afterFusion: mutate)
        if prune && result.pruning == nil {
            throw EdgeError(.unsupported, "pruning was skipped: \(result.notes.joined(separator: "; "))")
        }
        let params = ModelSummary(try Interpreter(bytes: result.bytes), fileBytes: 0).params
        return Output(bytes: result.bytes, report: result.pruning, params: params)
    }

    /// Runs a compiled model on named inputs; returns every graph output by name.
    static func run(_ bytes: [UInt8], _ inputs: [String: [Float]]) throws -> [String: [Float]] {
        let interpreter = try Interpreter(bytes: bytes)
        for (name, values) in inputs {
            guard let id = interpreter.tensorId(named: name) else { throw EdgeError(.invalidArgument, "no input '\(name)'") }
            try values.withUnsafeBufferPointer { (p) throws(EdgeError) in try interpreter.write(tensor: id, p) }
        }
        interpreter.run()
        var out: [String: [Float]] = [:]
        let m = interpreter.model
        for id in m.graph.outputs {
            out[m.tensors[Int(id)].name] = Array(interpreter.read(tensor: Int(id)))
        }
        return out
    }

    /// Largest |got - ref| / (1 + |ref|).
    static func relativeError(_ got: [Float], _ ref: [Float]) -> Float {
        guard got.count == ref.count else { return .infinity }
        var worst: Float = 0
        for i in got.indices {
            let e = abs(got[i] - ref[i]) / (1 + abs(ref[i]))
            if !(e <= worst) { worst = e }
        }
        return worst
    }
}

/// A pruning fixture (Tools/make_pruning_fixtures.py): a FixtureCase plus min_params.
struct PruningFixture {
    var fixture: FixtureCase
    var minParams: Int
    var denseParams: Int

    static let directory = FixtureCase.root.appendingPathComponent("pruning")

    init(_ name: String) throws {
        let dir = Self.directory.appendingPathComponent(name)
        fixture = try FixtureCase(directory: dir)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("case.json"))) as! [String: Any]
        minParams = json["min_params"] as? Int ?? -1
        denseParams = json["dense_params"] as? Int ?? -1
    }

    /// Compiles (with or without pruning), runs every run and compares with onnxruntime.
    func check(prune: Bool = true, roundChannels: Int = 1) throws -> (params: Int, report: PruningReport?, problems: [String]) {
        var problems: [String] = []
        var params = 0
        var report: PruningReport? = nil
        for run in fixture.runs {
            let out = try PruningPipeline.compile(onnxPath: fixture.modelPath, prune: prune, roundChannels: roundChannels, inputShapes: run.shapes)
            params = out.params
            report = out.report
            var inputs: [String: [Float]] = [:]
            for (name, file) in run.inputs {
                inputs[name] = try NpyArray.read(fixture.directory.appendingPathComponent(file).path).data
            }
            let got = try PruningPipeline.run(out.bytes, inputs)
            for (name, file) in run.outputs {
                let expected = try NpyArray.read(fixture.directory.appendingPathComponent(file).path).data
                guard let g = got[name] else { problems.append("\(fixture.name): no output \(name)"); continue }
                let err = PruningPipeline.relativeError(g, expected)
                if !(err <= fixture.tolerance) {
                    problems.append("\(fixture.name)/\(run.name): output '\(name)' relative error \(err) > \(fixture.tolerance)")
                }
            }
        }
        return (params, report, problems)
    }
}
