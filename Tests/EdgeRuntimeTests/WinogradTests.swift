import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// The Winograd paths of ConvLayer (F(2×2, 3×3) and F(4×4, 3×3), chosen by shape) against
/// `ConvReference.conv`: random channel counts, odd and even output extents (partial
/// tiles), pads 0, 1 and asymmetric, every activation, batches, several chunks of tile
/// rows. WinogradF4Tests covers the F(4×4) path on its own.
final class WinogradTests: XCTestCase {
    typealias Case = ConvKernelTests.Case

    /// The bound against the reference for a Winograd conv with `channels` inputs.
    /// F(4×4)'s transform constants (up to 8 and 5) make its rounding error scale with the
    /// pre-activation sum (≈ √(9C) for these [-1, 1] operands), not with each output:
    /// 1.3e-4 was measured on near-zero outputs at C = 64, 6e-5 at C = 31 after a tanh.
    /// F(2×2) stays within the default per-output bound.
    static func tolerance(_ conv: ConvLayer, channels c: Int) -> Float {
        conv.winogradTile == 4 ? Swift.max(1e-4, 2e-5 * Float(9 * c).squareRoot()) : 1e-4
    }

    /// Builds, checks the path, runs and compares with the reference.
    /// `expectTile`: the Winograd output tile side load must choose (2 or 4), if given.
    static func check(_ t: Case, expectWinograd: Bool = true, expectTile: Int? = nil, _ rng: inout SeededRNG,
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
        var tolerance: Float = 1e-4
        do {
            let layer = try buildLayer(op, inputs: [x, wt, b], outputs: [y])
            guard case .conv(let conv) = layer else { return XCTFail("not a conv layer", file: file, line: line) }
            XCTAssertEqual(conv.usesWinograd, expectWinograd, "path choice: \(t)", file: file, line: line)
            if let expectTile {
                XCTAssertEqual(conv.winogradTile, expectTile, "Winograd tile: \(t)", file: file, line: line)
            }
            tolerance = WinogradTests.tolerance(conv, channels: t.c)
            runLayer(layer, file: file, line: line)
        } catch {
            return XCTFail("build failed: \(error.message) (\(t))", file: file, line: line)
        }
        assertClose(y.values, ref.values, tolerance: tolerance, "\(t)", file: file, line: line)
        XCTAssertTrue(x.guardIntact && wt.guardIntact, "inputs overwritten: \(t)", file: file, line: line)
        XCTAssertTrue(y.guardIntact, "output guard overwritten: \(t)", file: file, line: line)
    }

    func check(_ t: Case, expectWinograd: Bool = true, expectTile: Int? = nil, _ rng: inout SeededRNG,
               file: StaticString = #filePath, line: UInt = #line) {
        WinogradTests.check(t, expectWinograd: expectWinograd, expectTile: expectTile, &rng, file: file, line: line)
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
        // At least 32 2×2 tiles (the path's threshold) and one side under 8 (F(4×4)'s
        // `minSide`): F(2×2).
        let short = rng.int(5...7), long = rng.int(24...40)
        let (oh, ow) = rng.bool(0.5) ? (short, long) : (long, short)
        t.h = oh + 2 - t.pads[0] - t.pads[2]
        t.w = ow + 2 - t.pads[1] - t.pads[3]
        return t
    }

    func testRandomShapes() {
        var rng = SeededRNG(seed: 0x3160)
        for _ in 0..<60 {
            check(WinogradTests.randomCase(&rng), expectTile: 2, &rng)
        }
    }

    func testEveryActivation() {
        var rng = SeededRNG(seed: 0x3161)
        for act in ActivationKind.allCases {
            var t = WinogradTests.randomCase(&rng)
            var a = TestActivation.random(&rng)
            while a.kind != act { a = TestActivation.random(&rng) }
            t.act = a
            check(t, expectTile: 2, &rng)
        }
    }

    /// Odd extents in both directions, pads 0 and 1: partial tiles on the right and bottom.
    /// One output side under 8 in each: F(2×2).
    func testPartialTiles() {
        var rng = SeededRNG(seed: 0x3162)
        for (h, w, p) in [(7, 17, 1), (9, 19, 0), (17, 7, 1), (9, 17, 0), (15, 7, 1), (66, 5, 1)] {
            var t = Case(n: 1, c: 16, h: h, w: w, m: 24, group: 1)
            t.kernel = [3, 3]
            t.pads = [p, p, p, p]
            t.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
            check(t, expectTile: 2, &rng)
        }
    }

    /// A plane whose tiles need several chunks (16·(C+M)·tiles > the scratch budget),
    /// with the last chunk shorter than the others: 5 outputs high (too few for F(4×4)),
    /// 3 2×2 tile rows of 100 tiles, 2 rows per chunk.
    func testSeveralChunks() {
        var rng = SeededRNG(seed: 0x3163)
        var t = Case(n: 1, c: 128, h: 5, w: 199, m: 128, group: 1)
        t.kernel = [3, 3]
        t.pads = [1, 1, 1, 1]
        t.act = TestActivation(kind: .clip, alpha: 0, beta: 6)
        check(t, expectTile: 2, &rng)
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
        small.h = 5; small.w = 5                        // 9 tiles: too few
        check(small, expectWinograd: false, &rng)
        var strided = t
        strided.h = 20; strided.w = 20; strided.strides = [2, 2]
        check(strided, expectWinograd: false, &rng)
        var dilated = t
        dilated.h = 24; dilated.w = 24; dilated.dilations = [2, 2]
        check(dilated, expectWinograd: false, &rng)
    }
}
