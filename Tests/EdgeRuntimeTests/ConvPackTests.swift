import CEdgeSupport
import EdgeTestSupport
import XCTest

/// The conv GEMM that packs its right operand straight from X (edge_conv_pack.h) against
/// its reference twin: an im2col matrix written element by element here, multiplied by the
/// ordinary packed GEMM. Both run the same tiles on the same blocks, so they must agree
/// bit for bit, for every kernel this CPU runs and on 1, 2 and 3 threads.
final class ConvPackTests: XCTestCase {
    struct Shape: CustomStringConvertible {
        var c = 1, inH = 1, inW = 1, kH = 1, kW = 1, sH = 1, sW = 1, dH = 1, dW = 1
        var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0
        var outH: Int { (inH + padTop + padBottom - (dH * (kH - 1) + 1)) / sH + 1 }
        var outW: Int { (inW + padLeft + padRight - (dW * (kW - 1) + 1)) / sW + 1 }
        var depth: Int { c * kH * kW }
        var geometry: edge_conv_geometry {
            edge_conv_geometry(channels: c, in_h: inH, in_w: inW, out_h: outH, out_w: outW, k_h: kH, k_w: kW,
                               stride_h: sH, stride_w: sW, dil_h: dH, dil_w: dW, pad_top: padTop,
                               pad_left: padLeft)
        }
        var description: String {
            "C\(c) \(inH)x\(inW) k\(kH)x\(kW) s\(sH),\(sW) d\(dH),\(dW) p\(padTop),\(padLeft),\(padBottom),\(padRight)"
                + " -> \(outH)x\(outW)"
        }

        static func random(_ rng: inout SeededRNG, channels: ClosedRange<Int>, extra: ClosedRange<Int>) -> Shape {
            var s = Shape()
            s.c = rng.int(channels)
            s.kH = rng.int(1...4); s.kW = rng.int(1...4)
            s.sH = rng.int(1...3); s.sW = rng.int(1...3)
            s.dH = rng.int(1...2); s.dW = rng.int(1...2)
            s.padTop = rng.int(0...2); s.padLeft = rng.int(0...2)
            s.padBottom = rng.int(0...2); s.padRight = rng.int(0...2)
            s.inH = Swift.max(1, s.dH * (s.kH - 1) + 1 - s.padTop - s.padBottom + rng.int(extra))
            s.inW = Swift.max(1, s.dW * (s.kW - 1) + 1 - s.padLeft - s.padRight + rng.int(extra))
            return s
        }

        /// The im2col matrix [depth x outH*outW], each element from the definition.
        func im2col(_ x: [Float]) -> [Float] {
            let n = outH * outW
            var col = [Float](repeating: 0, count: depth * n)
            for ch in 0..<c {
                for kh in 0..<kH {
                    for kw in 0..<kW {
                        let row = (ch * kH + kh) * kW + kw
                        for oh in 0..<outH {
                            for ow in 0..<outW {
                                let ih = oh * sH + kh * dH - padTop, iw = ow * sW + kw * dW - padLeft
                                if ih >= 0 && ih < inH && iw >= 0 && iw < inW {
                                    col[row * n + oh * outW + ow] = x[(ch * inH + ih) * inW + iw]
                                }
                            }
                        }
                    }
                }
            }
            return col
        }
    }

    func randomFloats(_ count: Int, _ rng: inout SeededRNG) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    /// The first index where the two differ in any bit, with both values.
    func firstDifference(_ a: [Float], _ b: [Float]) -> String? {
        guard a.count == b.count else { return "counts \(a.count) vs \(b.count)" }
        guard let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern }) else { return nil }
        return "at \(i): \(a[i]) vs \(b[i])"
    }

    /// A block of panels equals the im2col matrix's block in NR-column panels, zeros in
    /// the columns past the block (every float written: the buffer starts as NaN).
    func testPackedBlocksEqualIm2colPanels() {
        var rng = SeededRNG(seed: 0xC0DE)
        for _ in 0..<300 {
            let s = Shape.random(&rng, channels: 1...4, extra: 0...12)
            let x = randomFloats(s.c * s.inH * s.inW, &rng)
            let col = s.im2col(x)
            let n = s.outH * s.outW
            let nr = rng.pick([4, 8, 12, 16, 32])
            let p0 = rng.int(0...(s.depth - 1)), kc = rng.int(1...(s.depth - p0))
            let j0 = rng.int(0...(n - 1)), nc = rng.int(1...(n - j0))
            let panels = (nc + nr - 1) / nr
            var got = [Float](repeating: .nan, count: panels * kc * nr)
            var g = s.geometry
            got.withUnsafeMutableBufferPointer { edge_conv_pack_right(&g, x, p0, kc, j0, nc, nr, $0.baseAddress) }
            var want = [Float](repeating: 0, count: got.count)
            for q in 0..<panels {
                for p in 0..<kc {
                    for j in 0..<nr where q * nr + j < nc {
                        want[(q * kc + p) * nr + j] = col[(p0 + p) * n + j0 + q * nr + j]
                    }
                }
            }
            XCTAssertNil(firstDifference(got, want), "\(s) nr \(nr) rows \(p0)+\(kc) cols \(j0)+\(nc)")
        }
    }

    /// The whole GEMM with bias and activation: shapes with several K blocks (depth > 256)
    /// and column blocks, row counts not a multiple of MR, columns not a multiple of NR.
    func testConvGemmEqualsIm2colGemm() {
        var rng = SeededRNG(seed: 0x5EED)
        let pools = [2, 3].map { edge_pool_create(Int32($0), edge_gemm_max_scratch_floats()) }
        defer { pools.forEach { edge_pool_destroy($0) } }
        for round in 0..<24 {
            let s = round % 4 == 3 ? Shape.random(&rng, channels: 24...40, extra: 20...30)
                                   : Shape.random(&rng, channels: 1...8, extra: 8...40)
            let m = rng.int(1...40)
            let n = s.outH * s.outW
            let x = randomFloats(s.c * s.inH * s.inW, &rng)
            let w = randomFloats(m * s.depth, &rng)
            let bias = randomFloats(m, &rng)
            let col = s.im2col(x)
            let act = edge_activation(kind: Int(rng.pick([EDGE_ACT_NONE, EDGE_ACT_RELU, EDGE_ACT_CLIP, EDGE_ACT_SWISH])),
                                      alpha: -0.25, beta: 0.75)
            for i in 0..<edge_gemm_kernel_count() {
                let k = edge_gemm_kernel_at(i)!
                var packed = [Float](repeating: 0, count: Int(edge_gemm_packed_floats(k, m, s.depth)))
                edge_gemm_pack_left(k, w, s.depth, 1, m, s.depth, &packed)
                var scratch = [Float](repeating: 0, count: Int(edge_gemm_scratch_floats(k, n, s.depth)))
                var ep = edge_gemm_epilogue(bias: nil, residual: nil, act: act, accumulate: 0)
                for pool in [nil] + pools {
                    edge_pool_set_current(pool)
                    defer { edge_pool_set_current(nil) }
                    var want = [Float](repeating: .nan, count: m * n), got = want
                    bias.withUnsafeBufferPointer { b in
                        ep.bias = b.baseAddress
                        edge_gemm_parallel(k, m, n, s.depth, packed, col, n, 1, &want, n, 1, &ep, &scratch)
                        var g = s.geometry
                        edge_conv_gemm_parallel(k, m, packed, &g, x, &got, &ep, &scratch)
                    }
                    XCTAssertNil(firstDifference(got, want),
                                 "\(s) M\(m) \(String(cString: k.pointee.name)) threads \(edge_pool_threads(pool))")
                }
            }
        }
    }
}
