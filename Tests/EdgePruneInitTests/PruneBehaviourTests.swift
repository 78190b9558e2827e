import EdgeCompiler
import EdgeFormat
import EdgePruneInit
import EdgeRuntime
import Foundation
import XCTest

final class PruneBehaviourTests: XCTestCase {
    let digits = Fixtures.path("portfolio/digits_imp_00.onnx")
    let resnet = Fixtures.path("pruning/resnet_basic/model.onnx")

    func options(_ method: PruneOptions.Method = .reconvene, keep: Double = 0.3, seed: UInt64 = 0) -> PruneOptions {
        var o = PruneOptions()
        o.method = method
        o.keep = keep
        o.seed = seed
        o.rounds = 5  // fewer SynFlow rounds than the CLI's 20: same code paths, a quarter of the time
        return o
    }

    func testSameSeedSameModelAndReport() throws {
        for path in [digits, resnet] {
            let a = try PruneInit.run(path: path, options: options(seed: 11))
            let b = try PruneInit.run(path: path, options: options(seed: 11))
            XCTAssertEqual(a.bytes, b.bytes, path)
            XCTAssertEqual(a.report.units.map(\.synflowDensity), b.report.units.map(\.synflowDensity), path)
            XCTAssertEqual(a.report.units.map(\.channelsAfter), b.report.units.map(\.channelsAfter), path)
        }
    }

    func testOtherSeedOtherInitializationAndScores() throws {
        let a = try PruneInit.run(path: digits, options: options(seed: 1))
        let b = try PruneInit.run(path: digits, options: options(seed: 2))
        XCTAssertNotEqual(a.bytes, b.bytes)
        XCTAssertNotEqual(a.report.units.map(\.synflowDensity), b.report.units.map(\.synflowDensity))
    }

    func testBudgetIsMetAndSmallerKeepIsSmaller() throws {
        var last = Int.max
        for keep in [0.5, 0.25, 0.1, 0.05] {
            let r = try PruneInit.run(path: digits, options: options(keep: keep)).report
            XCTAssertLessThanOrEqual(r.countedParamsAfter, r.budgetParams, "keep \(keep)")
            XCTAssertLessThan(r.paramsAfter, last, "keep \(keep)")
            last = r.paramsAfter
        }
    }

    /// The least sensitive layer (lowest SynFlow density) loses the largest share of filters.
    func testLeastSensitiveLayersArePrunedFirst() throws {
        let r = try PruneInit.run(path: digits, options: options(keep: 0.5)).report
        let least = try XCTUnwrap(r.units.first { $0.sensitivityRank == 1 })
        let most = try XCTUnwrap(r.units.first { $0.sensitivityRank == r.units.count })
        XCTAssertLessThan(least.synflowDensity!, most.synflowDensity!)
        XCTAssertLessThan(Double(least.channelsAfter) / Double(least.channelsBefore),
                          Double(most.channelsAfter) / Double(most.channelsBefore) + 1e-9)
    }

    func testReinitializedWeightsAreFreshAndL1KeepsTrainedOnes() throws {
        let source = try OnnxReader.read(path: digits)
        let w0 = try XCTUnwrap(source.graph.initializer(named: "conv1.weight")).floats
        let rc = try PruneInit.run(path: digits, options: options(keep: 0.5))
        XCTAssertEqual(rc.model.metadata["edge.prune.initialized"], "seeded")
        let rw = try XCTUnwrap(rc.model.graph.initializer(named: "conv1.weight")).floats
        XCTAssertNotEqual(Array(rw.prefix(9)), Array(w0.prefix(9)))
        XCTAssertTrue(try XCTUnwrap(rc.model.graph.initializer(named: "conv1.bias")).floats.allSatisfy { $0 == 0 })
        XCTAssertNil(rc.model.metadata["edge.accuracy"], "the source's accuracy does not describe the pruned model")

        let l1 = try PruneInit.run(path: digits, options: options(.l1, keep: 0.5))
        // conv1 filters that stay are the source's filters, unchanged.
        let lw = try XCTUnwrap(l1.model.graph.initializer(named: "conv1.weight")).floats
        let filters = Set(stride(from: 0, to: w0.count, by: 9).map { Array(w0[$0..<($0 + 9)]) })
        for f in stride(from: 0, to: lw.count, by: 9) { XCTAssertTrue(filters.contains(Array(lw[f..<(f + 9)]))) }
    }

    func testL1RemovesTheSmallestFilters() throws {
        let source = try OnnxReader.read(path: digits)
        let w = try XCTUnwrap(source.graph.initializer(named: "conv3.weight"))
        let per = w.floats.count / Int(w.dims[0])
        let norms = stride(from: 0, to: w.floats.count, by: per).map { o in w.floats[o..<(o + per)].reduce(0) { $0 + abs($1) } }
        let l1 = try PruneInit.run(path: digits, options: options(.l1, keep: 0.5))
        let kept = try XCTUnwrap(l1.model.graph.initializer(named: "conv3.weight"))
        let n = Int(kept.dims[0])
        XCTAssertLessThan(n, norms.count)
        // Kept filters (as sums over the kept input columns cannot be compared) are the n largest: check the count
        // of source filters with a larger norm than the smallest kept one.
        let threshold = norms.sorted(by: >)[n - 1]
        XCTAssertEqual(norms.filter { $0 >= threshold }.count, n)
    }

    func testCalibrationChangesTheInputMagnitudes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prune-cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for k in 0..<4 {
            try FileManager.default.copyItem(atPath: Fixtures.path("portfolio/sample_\(k).npy"), toPath: dir.appendingPathComponent("s\(k).npy").path)
        }
        var o = options(keep: 0.25)
        o.calibration = dir.path
        let r = try PruneInit.run(path: digits, options: o)
        XCTAssertEqual(r.report.calibration, dir.path)
        XCTAssertLessThanOrEqual(r.report.countedParamsAfter, r.report.budgetParams)

        // A batch of the wrong shape is refused.
        try NpyArray(shape: [1, 3, 8, 8], data: [Float](repeating: 1, count: 192)).write(dir.appendingPathComponent("bad.npy").path)
        XCTAssertEqual(edgeError { _ = try PruneInit.run(path: digits, options: o) }?.kind, .shape)
    }

    func testBadInputsGiveClearErrors() throws {
        for keep in [0, -0.5, 1.5, Double.nan] {
            let e = edgeError { _ = try PruneInit.run(path: digits, options: options(keep: keep)) }
            XCTAssertEqual(e?.kind, .invalidArgument, "keep \(keep)")
            XCTAssertTrue(e?.message.contains("--keep") ?? false)
        }
        let missing = edgeError { _ = try PruneInit.run(path: "/nonexistent/model.onnx", options: options()) }
        XCTAssertEqual(missing?.kind, .io)
        XCTAssertTrue(missing?.message.contains("/nonexistent/model.onnx") ?? false)

        // Not ONNX.
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("prune-garbage-\(UUID().uuidString).onnx")
        try Data([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).write(to: garbage)
        defer { try? FileManager.default.removeItem(at: garbage) }
        XCTAssertEqual(edgeError { _ = try PruneInit.run(path: garbage.path, options: self.options()) }?.kind, .format)

        // Reconvene's flow does not know ConvTranspose: the error names it.
        let mixed = edgeError { _ = try PruneInit.run(path: Fixtures.path("pruning/mixed_ops/model.onnx"), options: options()) }
        XCTAssertEqual(mixed?.kind, .unsupported)
        XCTAssertTrue(mixed?.message.contains("ConvTranspose") ?? false, mixed?.message ?? "")

        // No conv to prune.
        let none = edgeError { _ = try PruneInit.run(path: Fixtures.path("ops/abs/model.onnx"), options: options()) }
        XCTAssertEqual(none?.kind, .unsupported)
        XCTAssertTrue(none?.message.contains("no prunable Conv") ?? false, none?.message ?? "")

        var o = options(.l1)
        o.calibration = "/tmp"
        XCTAssertEqual(edgeError { _ = try PruneInit.run(path: digits, options: o) }?.kind, .invalidArgument)
        var r = options()
        r.calibration = "/nonexistent-dir"
        XCTAssertEqual(edgeError { _ = try PruneInit.run(path: digits, options: r) }?.kind, .io)
    }
}
