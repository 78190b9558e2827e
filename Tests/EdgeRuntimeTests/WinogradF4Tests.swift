import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// The Winograd F(4×4, 3×3) path of ConvLayer against `ConvReference.conv` (through
/// `WinogradTests.check`): random shapes with output sides 8..29 (partial 4×4 tiles on
/// the right and bottom whenever a side is not a multiple of 4), channel counts that are
/// not multiples of the tile or the vector width, pads 0, 1, 2 and asymmetric, every
/// activation, batches, several chunks of tile rows, and the load-time choice between
/// F(4×4), F(2×2) and im2col.
final class WinogradF4Tests: XCTestCase {
    typealias Case = ConvKernelTests.Case

    /// A random conv F(4×4) takes: both output sides ≥ 8 and ≥ 32 4×4 tiles.
    static func randomCase(_ rng: inout SeededRNG) -> Case {
        var t = Case()
        t.n = rng.pick([1, 1, 1, 2])
        t.c = rng.int(16...45)
        t.m = rng.int(16...45)
        t.kernel = [3, 3]
        t.bias = rng.bool(0.75)
        t.act = TestActivation.random(&rng)
        switch rng.int(0...2) {
        case 0: t.pads = [1, 1, 1, 1]
        case 1: t.pads = [0, 0, 0, 0]
        default: t.pads = [rng.int(0...2), rng.int(0...2), rng.int(0...2), rng.int(0...2)]
        }
        var oh = 0, ow = 0
        repeat {
            oh = rng.int(8...29)
            ow = rng.int(8...29)
        } while ((oh + 3) / 4) * ((ow + 3) / 4) < 32
        t.h = oh + 2 - t.pads[0] - t.pads[2]
        t.w = ow + 2 - t.pads[1] - t.pads[3]
        return t
    }

    func testRandomShapes() {
        var rng = SeededRNG(seed: 0x3170)
        for _ in 0..<40 {
            WinogradTests.check(WinogradF4Tests.randomCase(&rng), expectTile: 4, &rng)
        }
    }

    func testEveryActivation() {
        var rng = SeededRNG(seed: 0x3171)
        for act in ActivationKind.allCases {
            var t = WinogradF4Tests.randomCase(&rng)
            var a = TestActivation.random(&rng)
            while a.kind != act { a = TestActivation.random(&rng) }
            t.act = a
            WinogradTests.check(t, expectTile: 4, &rng)
        }
    }

    /// Every output-side remainder mod 4 in both directions, with pads 0 and 1.
    func testPartialTiles() {
        var rng = SeededRNG(seed: 0x3172)
        for (oh, ow) in [(24, 32), (25, 26), (27, 25), (26, 27), (21, 30), (33, 15)] {
            for p in [0, 1] {
                var t = Case(n: 1, c: 17, h: oh + 2 - 2 * p, w: ow + 2 - 2 * p, m: 23, group: 1)
                t.kernel = [3, 3]
                t.pads = [p, p, p, p]
                t.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
                WinogradTests.check(t, expectTile: 4, &rng)
            }
        }
    }

    /// 36·(C+M)·tiles over the scratch budget: 64×64 outputs with C = M = 64 run in chunks
    /// of 14 tile rows, the last one 2 rows.
    func testSeveralChunks() {
        var rng = SeededRNG(seed: 0x3173)
        var t = Case(n: 1, c: 64, h: 64, w: 64, m: 64, group: 1)
        t.kernel = [3, 3]
        t.pads = [1, 1, 1, 1]
        t.act = TestActivation(kind: .clip, alpha: 0, beta: 6)
        WinogradTests.check(t, expectTile: 4, &rng)
    }

    /// The load-time choice: ResNet-18's 56/28 planes on F(4×4), 14×14 (16 4×4 tiles) on
    /// F(2×2), a 7×7 plane (16 2×2 tiles) on F(2×2) too, a 5×5 plane (9 tiles) on im2col,
    /// a plane 7 high and 40 wide on F(2×2), thin and strided convs off Winograd.
    func testChoiceByShape() {
        var rng = SeededRNG(seed: 0x3174)
        for (side, tile) in [(56, 4), (28, 4), (14, 2), (7, 2)] {
            var t = Case(n: 1, c: 32, h: side, w: side, m: 32, group: 1)
            t.kernel = [3, 3]
            t.pads = [1, 1, 1, 1]
            WinogradTests.check(t, expectTile: tile, &rng)
        }
        var small = Case(n: 1, c: 32, h: 5, w: 5, m: 32, group: 1)
        small.kernel = [3, 3]
        small.pads = [1, 1, 1, 1]
        WinogradTests.check(small, expectWinograd: false, &rng)
        var flat = small
        flat.w = 40
        WinogradTests.check(flat, expectTile: 2, &rng)
        var thin = small
        thin.h = 20; thin.w = 20; thin.c = 8
        WinogradTests.check(thin, expectWinograd: false, &rng)
        var strided = small
        strided.h = 40; strided.w = 40; strided.strides = [2, 2]
        WinogradTests.check(strided, expectWinograd: false, &rng)
    }
}
