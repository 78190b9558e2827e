/// Winograd F(4×4, 3×3) convolution (Lavin & Gray 2016) for 3×3, stride 1, dilation 1,
/// group 1 convs: the same scheme as `Winograd` (F(2×2, 3×3), see there) with 4×4 output
/// tiles read from 6×6 input patches, so 36 GEMMs
///     M_k[M × T] = U_k[M × C] · V_k[C × T],   k = 6i + j,
/// and 36/16 = 2.25 multiplies per output instead of 4 (F(2×2)) or 9 (direct).
///
/// Interpolation points 0, ±1, ±2 and ∞, the best-conditioned integer choice for six
/// points (Lavin & Gray's matrices):
///     Bᵀ = [4  0 -5  0 1 0;  0 -4 -4  1 1 0;  0  4 -4 -1 1 0;
///           0 -2 -1  2 1 0;  0  2 -1 -2 1 0;  0  4  0 -5 0 1]
///     G  = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]
///     Aᵀ = [1 1 1 1 1 0;  0 1 -1 2 -2 0;  0 1 1 4 4 0;  0 1 -1 8 -8 1]
/// Numerics: the constants up to 8 (output) and 5 (input) cost about one decimal digit
/// against F(2×2) in fp32; the weights are transformed in Double so only the input and
/// output transforms and the GEMM round. Measured errors are in BENCHMARKS.md.
///
/// Layout and vectorization follow `Winograd` (the loops are shared, in `WinogradPlan`): tiles in chunks of whole tile rows
/// (bounded scratch), a zero-padded copy of the chunk's input rows per channel, the row
/// transform d B on every padded row (each is shared by two tile rows), then Bᵀ (·) per
/// tile row, both on 8 horizontally adjacent tiles at a time (`SIMD8`, the tiles' columns
/// split out of 32-float loads). Groups of 8 tiles that run past a tile row land in the
/// next row's slots or in V's padding (`ld` ≥ tiles + 8). The output transform adds the
/// bias; the activation runs on each output row while it is in cache.

import CEdgeSupport

/// The F(4×4, 3×3) transforms and when to prefer them.
enum WinogradF4: WinogradTransform {
    /// The plan of one conv: `rowTransform8`'s 32-float loads from 4 * tx + 4 read 4
    /// floats past the last group's tiles (8, rounded up).
    static func plan(c: Int, m: Int, h: WindowAxis, w: WindowAxis) -> WinogradPlan {
        WinogradPlan(c: c, m: m, h: h, w: w, tile: 4, padSlack: 8)
    }

    /// Whether a conv that F(2×2) handles (`Winograd.applies`) runs faster on F(4×4):
    /// both output sides at least `minSide` (narrower planes waste much of each 4×4 tile)
    /// and enough 4×4 tiles that the 36 GEMMs are not too thin. Measured on ResNet-18
    /// (AVX-512 12x32 tile, 1 thread, CPU time): F(4×4) vs F(2×2) 1.15x faster at 56×56
    /// (196 tiles), 1.05x at 28×28 (49), 0.61x at 14×14 (16 tiles, C = M = 256).
    static func preferred(h: WindowAxis, w: WindowAxis) -> Bool {
        h.output >= minSide && w.output >= minSide
            && ((h.output + 3) / 4) * ((w.output + 3) / 4) >= minTiles
    }

    static var minSide: Int { 8 }
    static var minTiles: Int { 32 }

    /// The six outputs of (d0..d5) Bᵀ's rows, shared by the row and column transforms.
    @inline(__always)
    static func transform6(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>,
                           _ d3: SIMD8<Float>, _ d4: SIMD8<Float>, _ d5: SIMD8<Float>,
                           _ store: (Int, SIMD8<Float>) -> Void) {
        let four: Float = 4, five: Float = 5, two: Float = 2
        store(0, four * d0 - five * d2 + d4)
        let p = d4 - four * d2, q = d3 - four * d1   // o1 = p + q, o2 = p - q
        store(1, p + q)
        store(2, p - q)
        let r = d4 - d2, s = two * (d3 - d1)         // o3 = r + s, o4 = r - s
        store(3, r + s)
        store(4, r - s)
        store(5, four * d1 - five * d3 + d5)
    }

    /// Row transform d B of 8 adjacent tiles' row (columns d0..d5 of tile t at
    /// `p + 4t`), into 6 planes `hs` apart.
#if arch(arm64) || arch(arm)
    @inline(never)
#else
    @inline(__always)
#endif
    static func rowTransform8(_ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ hs: Int) {
        let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD32<Float>.self)
        let b = UnsafeRawPointer(p + 4).loadUnaligned(as: SIMD32<Float>.self)
        let ae = a.evenHalf, ao = a.oddHalf
        let d0 = ae.evenHalf, d1 = ao.evenHalf, d2 = ae.oddHalf, d3 = ao.oddHalf
        let d4 = b.evenHalf.evenHalf, d5 = b.oddHalf.evenHalf
        transform6(d0, d1, d2, d3, d4, d5) { i, value in
            UnsafeMutableRawPointer(o + i &* hs).storeBytes(of: value, as: SIMD8<Float>.self)
        }
    }

    /// Column transform Bᵀ (·) of 8 tiles from six row-transformed rows `pitch` apart,
    /// to V positions k = 6i + j (`ks` = 6 matrices).
#if arch(arm64) || arch(arm)
    @inline(never)
#else
    @inline(__always)
#endif
    static func columnTransform8(_ p: UnsafePointer<Float>, _ pitch: Int, _ out: UnsafeMutablePointer<Float>, _ ks: Int) {
        @inline(__always)
        func row(_ i: Int) -> SIMD8<Float> { UnsafeRawPointer(p + i &* pitch).loadUnaligned(as: SIMD8<Float>.self) }
        transform6(row(0), row(1), row(2), row(3), row(4), row(5)) { i, value in
            UnsafeMutableRawPointer(out + i &* ks).storeBytes(of: value, as: SIMD8<Float>.self)
        }
    }

    /// The four outputs of m0..m5 through Aᵀ's rows.
    @inline(__always)
    static func inverse6(_ m0: WinogradOutputVector, _ m1: WinogradOutputVector, _ m2: WinogradOutputVector,
                         _ m3: WinogradOutputVector, _ m4: WinogradOutputVector, _ m5: WinogradOutputVector)
        -> (WinogradOutputVector, WinogradOutputVector, WinogradOutputVector, WinogradOutputVector) {
        let two: Float = 2, four: Float = 4, eight: Float = 8
        let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4
        return (m0 + s12 + s34, d12 + two * d34, s12 + four * s34, d12 + eight * d34 + m5)
    }

    /// Aᵀ m A + bias for `WinogradOutputVector.scalarCount` adjacent tiles: four output
    /// rows of 4 values per tile, `rowPitch` apart from `rows`.
#if arch(arm64) || arch(arm)
    @inline(never)
#else
    @inline(__always)
#endif
    static func outputTiles(_ p: UnsafePointer<Float>, _ ks: Int, _ bias: Float,
                            _ rows: UnsafeMutablePointer<Float>, _ rowPitch: Int) {
        typealias V = WinogradOutputVector
        @inline(__always)
        func column(_ j: Int) -> (V, V, V, V) {
            let q = p + j &* ks, s6 = 6 &* ks
            @inline(__always)
            func ld(_ i: Int) -> V { UnsafeRawPointer(q + i &* s6).loadUnaligned(as: V.self) }
            return inverse6(ld(0), ld(1), ld(2), ld(3), ld(4), ld(5))
        }
        // Aᵀ m per column j: s[a][j] for the 4 output rows a.
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4), c5 = column(5)
        let bv = V(repeating: bias)
        @inline(__always)
        func store(_ a: Int, _ y: (V, V, V, V)) {
            storeInterleaved(rows + a * rowPitch, y.0 + bv, y.1 + bv, y.2 + bv, y.3 + bv)
        }
        store(0, inverse6(c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
        store(1, inverse6(c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
        store(2, inverse6(c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
        store(3, inverse6(c0.3, c1.3, c2.3, c3.3, c4.3, c5.3))
    }

    /// p[4t ..< 4t + 4] = a[t], b[t], c[t], d[t]: the four columns of the tiles in order.
    @inline(__always)
    static func storeInterleaved(_ p: UnsafeMutablePointer<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>,
                                 _ c: SIMD8<Float>, _ d: SIMD8<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: interleave4(a, b, c, d), as: SIMD32<Float>.self)
    }

    @inline(__always)
    static func storeInterleaved(_ p: UnsafeMutablePointer<Float>, _ a: SIMD4<Float>, _ b: SIMD4<Float>,
                                 _ c: SIMD4<Float>, _ d: SIMD4<Float>) {
        edge_store_interleaved4(p, a, b, c, d)
    }

    /// Lanes a[t], b[t], c[t], d[t] for t = 0..<8: the four columns of 8 tiles in order.
    @inline(__always)
    static func interleave4(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>)
        -> SIMD32<Float> {
        let ac = Winograd.interleave(a, c), bd = Winograd.interleave(b, d)
        return SIMD32<Float>(
            ac[0], bd[0], ac[1], bd[1], ac[2], bd[2], ac[3], bd[3],
            ac[4], bd[4], ac[5], bd[5], ac[6], bd[6], ac[7], bd[7],
            ac[8], bd[8], ac[9], bd[9], ac[10], bd[10], ac[11], bd[11],
            ac[12], bd[12], ac[13], bd[13], ac[14], bd[14], ac[15], bd[15])
    }
}
