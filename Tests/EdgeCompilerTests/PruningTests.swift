@testable import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// Structured pruning on the sparse fixtures of Tools/make_pruning_fixtures.py: outputs
/// must equal onnxruntime's (1e-5 relative) and the parameter count must reach the
/// lossless minimum the generator derived.
final class PruningFixtureTests: XCTestCase {
    static let names = [
        "vgg16_bn_s30", "vgg16_bn_s50", "vgg16_bn_s70", "resnet_basic", "resnet_bottleneck",
        "mobilenetv2_block", "densenet_block", "se_block", "flatten_gemm", "trap_const_padded",
        "trap_const_1x1", "trap_add_one_operand", "trap_sigmoid", "trap_concat_one_input", "mixed_ops",
        "conv1d_prelu",
    ]

    @discardableResult
    func check(_ name: String) throws -> PruningReport? {
        let f = try PruningFixture(name)
        let dense = try f.check(prune: false)
        XCTAssert(dense.problems.isEmpty, "unpruned: " + dense.problems.joined(separator: "\n"))
        XCTAssertEqual(dense.params, f.denseParams, "\(name): unpruned params")
        let pruned = try f.check(prune: true)
        XCTAssert(pruned.problems.isEmpty, pruned.problems.joined(separator: "\n"))
        XCTAssertEqual(pruned.params, f.minParams, "\(name): params after pruning (dense \(dense.params))")
        print("pruning \(name): params \(dense.params) -> \(pruned.params) (min \(f.minParams)), pass \(String(format: "%.2f", (pruned.report?.seconds ?? 0) * 1000)) ms")
        if let r = pruned.report {
            XCTAssertNoThrow(try r.jsonData())
            // PRUNING_REPORT_DIR=/tmp/reports swift test ... keeps each report for inspection.
            if let dir = ProcessInfo.processInfo.environment["PRUNING_REPORT_DIR"] {
                try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try r.jsonData().write(to: URL(fileURLWithPath: dir).appendingPathComponent("\(name).json"))
            }
            print(r.summary.split(separator: "\n").filter { $0.hasPrefix("kept") || $0.hasPrefix("params") }.map { "  " + $0 }.joined(separator: "\n"))
        }
        return pruned.report
    }

    func reasons(_ r: PruningReport?) -> Set<String> { Set(r?.keptZeroFilters.map(\.reason) ?? []) }

    func testVGG16Sparsity30() throws { try check("vgg16_bn_s30") }
    func testVGG16Sparsity50() throws {
        let r = try check("vgg16_bn_s50")
        XCTAssert(reasons(r).contains("constant channel before padded consumer"))
        XCTAssert(reasons(r).contains("pinned by graph output"))
    }
    func testVGG16Sparsity70() throws { try check("vgg16_bn_s70") }

    func testResNetBasicBlock() throws {
        let r = try check("resnet_basic")
        XCTAssert(reasons(r).contains("group member alive"))
        XCTAssert(reasons(r).contains("constant channel before padded consumer"))
    }

    func testResNetBottleneck() throws { try check("resnet_bottleneck") }

    func testMobileNetV2Block() throws {
        let r = try check("mobilenetv2_block")
        // The depthwise conv loses the channels of the dead expansion filters.
        let dw = r?.layers.first { $0.name.hasPrefix("/features/features.1/conv/conv.1") && $0.op == "Conv" }
        XCTAssertEqual(dw?.channelsBefore, 48)
        XCTAssertEqual(dw?.channelsAfter, 41)
    }

    func testDenseNetConcat() throws {
        let r = try check("densenet_block")
        XCTAssert(reasons(r).contains("feeds BatchNormalization"), "\(reasons(r))")
        XCTAssertGreaterThan(r?.foldedConstantChannels ?? 0, 0)
    }

    func testSqueezeExcitation() throws {
        let r = try check("se_block")
        XCTAssertEqual(r?.keptZeroFilters.map(\.reason), ["feeds Sigmoid"])
    }

    func testFlattenGemm() throws {
        let r = try check("flatten_gemm")
        let fc1 = r?.layers.first { $0.op == "Gemm" && $0.name.contains("fc1") }
        XCTAssertEqual(fc1?.paramsAfter, 13 * 64 + 13)
    }

    func testTrapConstantBeforePaddedConv() throws {
        let r = try check("trap_const_padded")
        XCTAssertEqual(r?.keptZeroFilters.map(\.channel), [2, 5])
        XCTAssertEqual(reasons(r), ["constant channel before padded consumer"])
    }

    func testTrapConstantBefore1x1Conv() throws {
        let r = try check("trap_const_1x1")
        XCTAssertEqual(r?.keptZeroFilters.count, 0)
        XCTAssertEqual(r?.foldedConstantChannels, 2)
    }

    func testTrapDeadInOneAddOperand() throws {
        let r = try check("trap_add_one_operand")
        XCTAssertEqual(r?.keptZeroFilters.map(\.channel), [1])
        XCTAssertEqual(reasons(r), ["group member alive"])
    }

    func testTrapSigmoid() throws {
        let r = try check("trap_sigmoid")
        XCTAssertEqual(r?.keptZeroFilters.map(\.channel), [1, 4])
        XCTAssertEqual(reasons(r), ["feeds Sigmoid"])
    }

    func testTrapConcatOneInput() throws {
        let r = try check("trap_concat_one_input")
        XCTAssertEqual(reasons(r), ["constant channel before padded consumer"])
    }

    func testMixedOps() throws {
        let r = try check("mixed_ops")
        XCTAssert(reasons(r).contains("pinned by Softmax over channels"), "\(reasons(r))")
        XCTAssertEqual(r?.foldedConstantChannels, 1)  // ConvTranspose channel 4 into the Add after the MatMul
        XCTAssert(reasons(r).contains("constant channel before ConvTranspose"), "\(reasons(r))")
    }

    func testConv1DPRelu() throws {
        let r = try check("conv1d_prelu")
        XCTAssertEqual(r?.foldedConstantChannels, 2)
        XCTAssertEqual(r?.keptZeroFilters.count, 0)
    }

    /// Every pruning fixture directory has a test above.
    func testAllPruningFixturesAreCovered() throws {
        let names = Set(try FixtureCase.all(in: "pruning").map(\.name))
        XCTAssertEqual(names, Set(Self.names))
    }

    /// roundChannels keeps counts at multiples of N, still exactly.
    func testRoundChannels() throws {
        let f = try PruningFixture("vgg16_bn_s50")
        let r = try f.check(prune: true, roundChannels: 4)
        XCTAssert(r.problems.isEmpty, r.problems.joined(separator: "\n"))
        XCTAssertGreaterThan(r.params, f.minParams)
        for l in r.report?.layers ?? [] where l.channelsAfter != l.channelsBefore {
            XCTAssertEqual(l.channelsAfter % 4, 0, "\(l.name): \(l.channelsAfter) channels")
        }
        XCTAssert(reasons(r.report).contains("rounding"))
    }

    /// The report encodes to JSON with the documented keys.
    func testReportJSON() throws {
        let f = try PruningFixture("resnet_basic")
        let r = try XCTUnwrap(try f.check().report)
        let json = try JSONSerialization.jsonObject(with: try r.jsonData()) as! [String: Any]
        for key in ["layers", "kept_zero_filters", "kept_reasons", "params_before", "params_after", "flops_before", "flops_after", "round_channels"] {
            XCTAssertNotNil(json[key], key)
        }
        let layer = (json["layers"] as! [[String: Any]])[0]
        for key in ["name", "op", "channels_before", "channels_after", "params_before", "params_after", "flops_before", "flops_after"] {
            XCTAssertNotNil(layer[key], key)
        }
        XCTAssertLessThan(r.flopsAfter, r.flopsBefore)
        XCTAssertEqual(try JSONDecoder().decode(PruningReport.self, from: try {
            let e = JSONEncoder(); return try e.encode(r)
        }()), r)
    }

    /// The unmodified model fixtures (no zero filters) pass through unchanged and exact.
    func testDenseModelsUnchanged() throws {
        for name in ["resnet18", "mobilenetv2", "mobilenetv3_small", "yolo_tiny", "vgg11_bn"] {
            let c = try FixtureCase(directory: FixtureCase.root.appendingPathComponent("models").appendingPathComponent(name))
            let run = c.runs[0]
            let dense = try PruningPipeline.compile(onnxPath: c.modelPath, prune: false, inputShapes: run.shapes)
            let pruned = try PruningPipeline.compile(onnxPath: c.modelPath, prune: true, inputShapes: run.shapes)
            XCTAssertEqual(pruned.params, dense.params, name)
            var inputs: [String: [Float]] = [:]
            for (n, file) in run.inputs { inputs[n] = try NpyArray.read(c.directory.appendingPathComponent(file).path).data }
            let a = try PruningPipeline.run(dense.bytes, inputs), b = try PruningPipeline.run(pruned.bytes, inputs)
            for (k, v) in a { XCTAssertEqual(PruningPipeline.relativeError(b[k] ?? [], v), 0, "\(name)/\(k)") }
        }
    }
}

/// Timing on a full-width VGG-16-BN (50% zeroed filters, 224x224, 134 MB): generate it with
/// `python3 Tools/make_pruning_fixtures.py --vgg16-full /tmp/vgg16_full.onnx`, then
/// `PRUNING_VGG16_FULL=/tmp/vgg16_full.onnx swift test --filter PruningTimingTests`.
final class PruningTimingTests: XCTestCase {
    func testFullVGG16() throws {
        guard let path = ProcessInfo.processInfo.environment["PRUNING_VGG16_FULL"] else {
            throw XCTSkip("set PRUNING_VGG16_FULL to a model from make_pruning_fixtures.py --vgg16-full")
        }
        let start = Date()
        let out = try PruningPipeline.compile(onnxPath: path, prune: true)
        let r = try XCTUnwrap(out.report)
        print("full VGG-16: params \(r.paramsBefore) -> \(r.paramsAfter) (edgm \(out.params)), FLOPs \(r.flopsBefore) -> \(r.flopsAfter), pass \(String(format: "%.1f", r.seconds * 1000)) ms, whole compile \(String(format: "%.1f", Date().timeIntervalSince(start) * 1000)) ms")
        let dense = try PruningPipeline.compile(onnxPath: path, prune: false)
        var rng = SystemRandomNumberGenerator()
        let x = (0..<(3 * 224 * 224)).map { _ in Float.random(in: -2...2, using: &rng) }
        let a = try PruningPipeline.run(dense.bytes, ["input": x]), b = try PruningPipeline.run(out.bytes, ["input": x])
        for (k, v) in a { XCTAssertLessThanOrEqual(PruningPipeline.relativeError(b[k] ?? [], v), 1e-5, k) }
    }
}
