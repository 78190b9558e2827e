import EdgeFormat
import EdgeTransfer
import EdgeRuntime
@testable import EdgeSplit
import Foundation
import XCTest

/// Splitting a model: exactness without a Transfer Layer, TL shapes and bytes, PCA.
final class SplitTests: XCTestCase {
    /// `none` at every valid cut gives the unsplit model's outputs bit for bit.
    func testNoneAtEveryValidCutIsExact() throws {
        let cases: [(String, String?)] = [
            (try SplitFixtures.digits, SplitFixtures.digitsSamples),
            (try SplitFixtures.resnet18, SplitFixtures.fixtureInput("resnet18")),
            (try SplitFixtures.mobilenetv2, SplitFixtures.fixtureInput("mobilenetv2")),
            (try SplitFixtures.yolo, SplitFixtures.fixtureInput("yolo_tiny")),
        ]
        for (path, calibration) in cases {
            let model = try SplitFixtures.model(at: path)
            let cuts = Cut.all(model)
            XCTAssertGreaterThan(cuts.count, 2, path)
            for cut in cuts {
                let r = try Splitter.split(modelPath: path, options: SplitFixtures.options(cut.layer, calibration: calibration)).report
                XCTAssertTrue(r.calibration.exact, "\(path) cut \(cut.layer): max abs \(r.calibration.maxAbs)")
                XCTAssertEqual(r.transferShape, model.tensors[cut.tensor].shape)
                XCTAssertGreaterThan(r.calibration.samples, 0)
            }
        }
    }

    /// The digits CNN: valid cuts are 0, 1, 2 (between convs) and 3 (before the Flatten + Gemm).
    func testDigitsValidCuts() throws {
        let model = try SplitFixtures.model(at: try SplitFixtures.digits)
        XCTAssertEqual(Cut.all(model).map(\.layer), [0, 1, 2, 3])
    }

    /// pool2 halves H and W; bytes per frame = the TransferTensor message (no zlib): the
    /// payload and a few bytes of protobuf framing (f32: 12 here; u8: + 2 x (2 + 4 C)).
    func testPool2ShapeBytesAndValues() throws {
        let path = try SplitFixtures.digits
        let r = try Splitter.split(modelPath: path, options: SplitFixtures.options(1, .pool2, calibration: SplitFixtures.digitsSamples, zlib: false)).report
        XCTAssertEqual(r.cutShape, [1, 32, 4, 4])
        XCTAssertEqual(r.transferShape, [1, 32, 2, 2])
        XCTAssertEqual(r.frames.meanBytes, SplitFixtures.wireBytes([1, 32, 2, 2], .f32))
        XCTAssertEqual(r.frames.meanBytes, Double(32 * 2 * 2 * 4 + 12))
        let u8 = try Splitter.split(modelPath: path, options: SplitFixtures.options(1, .pool2, .u8, calibration: SplitFixtures.digitsSamples, zlib: false)).report
        XCTAssertEqual(u8.frames.meanBytes, SplitFixtures.wireBytes([1, 32, 2, 2], .u8))

        // The head's output is the 2x2 max of the cut tensor; the tail's first op up-samples
        // each value back onto its 2x2 block.
        let result = try Splitter.split(modelPath: path, options: SplitFixtures.options(1, .pool2, calibration: SplitFixtures.digitsSamples))
        let head = try Interpreter(bytes: result.head), tail = try Interpreter(bytes: result.tail), full = try Interpreter(path: path)
        let x = try NpyArray.read(SplitFixtures.digitsSamples + "/sample_0.npy").data
        try x.withUnsafeBufferPointer { try full.write(tensor: Int(full.model.graph.inputs[0]), $0) }
        full.run(0..<2)
        let cut = full.read(tensor: try Cut(model: full.model, layer: 1).tensor)
        try x.withUnsafeBufferPointer { try head.write(tensor: Int(head.model.graph.inputs[0]), $0) }
        head.run()
        let pooled = Array(head.read(tensor: Int(head.model.graph.outputs[0])))
        for c in 0..<32 {
            for i in 0..<2 {
                for j in 0..<2 {
                    var m = -Float.infinity
                    for di in 0..<2 { for dj in 0..<2 { m = max(m, cut[c * 16 + (2 * i + di) * 4 + 2 * j + dj]) } }
                    XCTAssertEqual(pooled[c * 4 + i * 2 + j], m)
                }
            }
        }
        try pooled.withUnsafeBufferPointer { try tail.write(tensor: Int(tail.model.graph.inputs[0]), $0) }
        tail.run(0..<1)
        let up = tail.read(tensor: Int(tail.model.ops[0].outputs[0]))
        for c in 0..<32 { for y in 0..<4 { for x in 0..<4 { XCTAssertEqual(up[c * 16 + y * 4 + x], pooled[c * 4 + (y / 2) * 2 + x / 2]) } } }
    }

    /// Odd spatial sizes pool with padding and come back at the original size.
    func testPool2OddSizeKeepsTheShape() throws {
        // ResNet-18 at 48x48: its third stage works on 3x3 maps.
        let path = try SplitFixtures.model("models/resnet18/model.onnx", shapes: ["input": [1, 3, 48, 48]])
        let model = try SplitFixtures.model(at: path)
        let odd = Cut.all(model).filter { let s = model.tensors[$0.tensor].shape; return s.count == 4 && s[2] % 2 == 1 && s[2] > 1 }
        XCTAssertFalse(odd.isEmpty)
        for cut in odd {
            let s = model.tensors[cut.tensor].shape
            let r = try Splitter.split(modelPath: path, options: SplitFixtures.options(cut.layer, .pool2)).report
            XCTAssertEqual(r.transferShape, [s[0], s[1], (s[2] + 1) / 2, (s[3] + 1) / 2])
            XCTAssertEqual(r.calibration.source, "random")
            XCTAssertTrue(r.calibration.maxAbs.isFinite)
        }
    }

    /// PCA with K = C is an orthogonal change of basis: the outputs come back within float error.
    func testPcaFullRankReproduces() throws {
        for layer in [0, 1, 2] {
            let path = try SplitFixtures.digits
            let model = try SplitFixtures.model(at: path)
            let c = model.tensors[try Cut(model: model, layer: layer).tensor].shape[1]
            let r = try Splitter.split(modelPath: path, options: SplitFixtures.options(layer, .pca(c), calibration: SplitFixtures.digitsSamples)).report
            XCTAssertLessThan(r.calibration.worstMaxRel, 1e-4, "cut \(layer)")
            XCTAssertEqual(r.calibration.top1Agree, r.calibration.samples)
            XCTAssertEqual(r.explained ?? 0, 1, accuracy: 1e-9)
        }
    }

    /// A rank-2 cut ([N, C] after a Flatten) takes the Gemm form of the PCA pair.
    func testPcaOnRankTwoCut() throws {
        let path = try SplitFixtures.resnet18
        let model = try SplitFixtures.model(at: path)
        guard let cut = Cut.all(model).last, model.tensors[cut.tensor].shape.count == 2 || model.ops[cut.layer + 1].code == .gemm else {
            throw XCTSkip("ResNet-18 fixture does not end in a Gemm")
        }
        let c = model.tensors[cut.tensor].shape[1]
        let r = try Splitter.split(modelPath: path, options: SplitFixtures.options(cut.layer, .pca(c), calibration: SplitFixtures.fixtureInput("resnet18"))).report
        XCTAssertLessThan(r.calibration.worstMaxRel, 1e-4)
    }

    /// pca:K sends K channels; pca:auto picks the smallest K reaching the target, and
    /// explained variance and fidelity improve with K.
    func testPcaShapesBytesAndAuto() throws {
        let path = try SplitFixtures.digits
        let cal = SplitFixtures.digitsSamples
        var previous = -1.0
        for k in [1, 4, 8] {
            let r = try Splitter.split(modelPath: path, options: SplitFixtures.options(1, .pca(k), calibration: cal, zlib: false)).report
            XCTAssertEqual(r.transferShape, [1, k, 4, 4])
            XCTAssertEqual(r.frames.meanBytes, SplitFixtures.wireBytes([1, k, 4, 4], .f32))
            XCTAssertGreaterThan(r.explained!, previous)
            previous = r.explained!
        }
        var o = SplitFixtures.options(1, .pcaAuto, calibration: cal)
        o.fidelity = 0.95
        let auto = try Splitter.split(modelPath: path, options: o).report
        let k = auto.k!
        XCTAssertGreaterThanOrEqual(auto.explained!, 0.95)
        if k > 1 {
            let smaller = try Splitter.split(modelPath: path, options: SplitFixtures.options(1, .pca(k - 1), calibration: cal)).report
            XCTAssertLessThan(smaller.explained!, 0.95)
        }
        XCTAssertEqual(auto.json["k"] as? Int, k)
    }

    /// The eigen solver: A v = lambda v, orthonormal vectors, on a random symmetric matrix.
    func testJacobiEigenDecomposition() {
        var state: UInt64 = 42
        func rnd() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(Int64(state >> 33) - (1 << 30)) / Double(1 << 30)
        }
        let n = 24
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { let v = rnd(); a[i * n + j] = v; a[j * n + i] = v } }
        let (values, v) = SymmetricEigen.jacobi(a, n: n)
        for e in 0..<n {
            for i in 0..<n {
                var av = 0.0
                for j in 0..<n { av += a[i * n + j] * v[j * n + e] }
                XCTAssertEqual(av, values[e] * v[i * n + e], accuracy: 1e-9)
            }
            for f in 0..<n {
                var dot = 0.0
                for i in 0..<n { dot += v[i * n + e] * v[i * n + f] }
                XCTAssertEqual(dot, e == f ? 1 : 0, accuracy: 1e-9)
            }
        }
    }

    /// The written head and tail load, carry split metadata, and the pipeline runs them.
    func testHeadAndTailFilesAndManifest() throws {
        let path = try SplitFixtures.digits
        let result = try Splitter.split(modelPath: path, options: SplitFixtures.options(2, .pca(8), .u8, calibration: SplitFixtures.digitsSamples))
        let dir = SplitFixtures.temp.appendingPathComponent("manifest").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileIO.write(dir + "/head.edgm", result.head)
        try FileIO.write(dir + "/tail.edgm", result.tail)
        try FileIO.write(dir + "/split.json", Array(result.report.jsonText().utf8))
        let p = try SplitManifest.pipeline(dir)
        XCTAssertEqual(p.encoding, .u8)
        XCTAssertEqual(p.head.model.metaString("split.role"), "head")
        XCTAssertEqual(p.tail.model.metaString("split.tl"), "pca:8")
        XCTAssertEqual(p.transferShape, [1, 8, 4, 4])
        let x = try NpyArray.read(SplitFixtures.digitsSamples + "/sample_1.npy").data
        let frame = try p.run(x)
        XCTAssertLessThanOrEqual(frame.bytes.count, 32 + 8 * 8 + 8 * 16)
        let json = result.report.json
        for key in ["cut", "tl", "k", "transfer", "transfer_bytes", "time_ms", "fidelity"] { XCTAssertNotNil(json[key], key) }
    }
}

/// A tail keeps its input intact: running it twice on the same bytes gives the same outputs.
final class SplitArenaTests: XCTestCase {
    func testTailInputSurvivesTheRun() throws {
        let path = try SplitFixtures.resnet18
        let model = try SplitFixtures.model(at: path)
        for cut in Cut.all(model) {
            let result = try Splitter.split(modelPath: path, options: SplitFixtures.options(cut.layer))
            let tail = try Interpreter(bytes: result.tail)
            let input = Int(tail.model.graph.inputs[0])
            let x = (0..<tail.model.tensors[input].elementCount).map { Float($0 % 7) * 0.25 }
            try x.withUnsafeBufferPointer { try tail.write(tensor: input, $0) }
            tail.run()
            XCTAssertEqual(Array(tail.read(tensor: input)), x, "cut \(cut.layer)")
            let first = Array(tail.read(tensor: Int(tail.model.graph.outputs[0])))
            tail.run()
            XCTAssertEqual(Array(tail.read(tensor: Int(tail.model.graph.outputs[0]))), first, "cut \(cut.layer)")
            XCTAssertLessThanOrEqual(tail.model.graph.arenaLowerBound, tail.model.graph.arenaBytes)
        }
    }
}
