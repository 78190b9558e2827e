import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// The Winograd F(2×2, 3×3) path of ConvLayer against `ConvReference.conv`: random
/// channel counts, odd and even output extents (partial tiles), pads 0, 1 and asymmetric,
/// every activation, batches, several chunks of tile rows.
final class WinogradTests: XCTestCase {
    typealias Case = ConvKernelTests.Case

    /// Builds, checks the path, runs and compares with the reference.
    func check(_ t: Case, expectWinograd: Bool = true, _ rng: inout SeededRNG,
               file: StaticString = #filePath, line: UInt = #line) {
        let xShape = [t.n, t.c, t.h, t.w]
        let wShape = [t.m, t.c / t.group, t.kernel[0], t.kernel[1]]
        let x = makeRandomTensor(shape: xShape, rng: &rng)
        let wt = makeRandomTensor(shape: wShape, rng: &rng)
        wt.isConstant = true   // Winograd transforms the weights at load
        let b = t.bias ? makeRandomTensor(shape: [t.m], rng: &rng) : nil
        let ref = ConvReference.conv(x: x.values, xShape: xShape, w: wt.values, wShape: wShape, b: b?.values,
                                     group: t.group, strides: t.strides, dilations: t.dilations, pads: t.pads,
                                     activation: t.act.kind, alpha: t.act.alpha, beta: t.act.beta)
        let y = makeTensor(shape: ref.shape)
        let op = makeOp(.conv, inputs: [x, wt, b], outputs: [y], params: t.params)
        do {
            let layer = try buildLayer(op, inputs: [x, wt, b], outputs: [y])
            guard case .conv(let conv) = layer else { return XCTFail("not a conv layer", file: file, line: line) }
            XCTAssertEqual(conv.usesWinograd, expectWinograd, "path choice: \(t)", file: file, line: line)
            runLayer(layer, file: file, line: line)
        } catch {
            return XCTFail("build failed: \(error.message) (\(t))", file: file, line: line)
        }
        assertClose(y.values, ref.values, "\(t)", file: file, line: line)
        XCTAssertTrue(x.guardIntact && wt.guardIntact, "inputs overwritten: \(t)", file: file, line: line)
        XCTAssertTrue(y.guardIntact, "output guard overwritten: \(t)", file: file, line: line)
    }

    static func randomCase(_ rng: inout SeededRNG) -> Case {
        var t = Case()
        t.n = rng.pick([1, 1, 1, 2])
        t.c = rng.int(16...40)
        t.m = rng.int(16...40)
        t.kernel = [3, 3]
        t.bias = rng.bool(0.75)
        t.act = TestActivation.random(&rng)
        switch rng.int(0...2) {
        case 0: t.pads = [1, 1, 1, 1]
        case 1: t.pads = [0, 0, 0, 0]
        default: t.pads = [rng.int(0...2), rng.int(0...2), rng.int(0...2), rng.int(0...2)]
        }
        // At least 32 tiles (the path's threshold): outputs of 11..24 per side.
        let oh = rng.int(11...24), ow = rng.int(11...24)
        t.h = oh + 2 - t.pads[0] - t.pads[2]
        t.w = ow + 2 - t.pads[1] - t.pads[3]
        return t
    }

    func testRandomShapes() {
        var rng = SeededRNG(seed: 0x3160)
        for _ in 0..<60 {
            check(WinogradTests.randomCase(&rng), &rng)
        }
    }

    func testEveryActivation() {
        var rng = SeededRNG(seed: 0x3161)
        for act in ActivationKind.allCases {
            var t = WinogradTests.randomCase(&rng)
            var a = TestActivation.random(&rng)
            while a.kind != act { a = TestActivation.random(&rng) }
            t.act = a
            check(t, &rng)
        }
    }

    /// Odd extents in both directions, pads 0 and 1: partial tiles on the right and bottom.
    func testPartialTiles() {
        var rng = SeededRNG(seed: 0x3162)
        for (h, w, p) in [(13, 17, 1), (13, 17, 0), (17, 13, 1), (16, 15, 0), (15, 16, 1), (66, 9, 1)] {
            var t = Case(n: 1, c: 16, h: h, w: w, m: 24, group: 1)
            t.kernel = [3, 3]
            t.pads = [p, p, p, p]
            t.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
            check(t, &rng)
        }
    }

    /// A plane whose tiles need several chunks (16·(C+M)·tiles > the scratch budget),
    /// with the last chunk shorter than the others.
    func testSeveralChunks() {
        var rng = SeededRNG(seed: 0x3163)
        var t = Case(n: 1, c: 64, h: 61, w: 47, m: 64, group: 1)
        t.kernel = [3, 3]
        t.pads = [1, 1, 1, 1]
        t.act = TestActivation(kind: .clip, alpha: 0, beta: 6)
        check(t, &rng)
    }

    /// ResNet-like layer (56×56, 64 → 64, pad 1) and a thin one that stays on im2col.
    func testResNetLikeAndFallbacks() {
        var rng = SeededRNG(seed: 0x3164)
        var t = Case(n: 1, c: 64, h: 56, w: 56, m: 64, group: 1)
        t.kernel = [3, 3]
        t.pads = [1, 1, 1, 1]
        t.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
        check(t, &rng)
        var thin = t
        thin.c = 8; thin.h = 20; thin.w = 20
        check(thin, expectWinograd: false, &rng)       // too few input channels
        var small = t
        small.h = 7; small.w = 7                        // 16 tiles: too few
        check(small, expectWinograd: false, &rng)
        var strided = t
        strided.h = 20; strided.w = 20; strided.strides = [2, 2]
        check(strided, expectWinograd: false, &rng)
        var dilated = t
        dilated.h = 24; dilated.w = 24; dilated.dilations = [2, 2]
        check(dilated, expectWinograd: false, &rng)
    }
}
