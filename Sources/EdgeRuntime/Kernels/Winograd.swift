/// Winograd F(2×2, 3×3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional
/// Neural Networks", 2016) for 3×3, stride 1, dilation 1, group 1 convs.
///
/// Each 2×2 block of outputs ("tile") of one output channel is
///     Y = Aᵀ [ Σ_c (G g_{m,c} Gᵀ) ⊙ (Bᵀ d_{c,t} B) ] A
/// where d is the 4×4 input patch of the tile and g the 3×3 filter. The sum over input
/// channels of the elementwise products is, for each of the 16 positions k of the 4×4
/// transformed tile, one matrix product
///     M_k[M × T] = U_k[M × C] · V_k[C × T]
/// so a conv becomes 16 sgemm calls with 16/36 of the multiplies of the direct form,
/// plus three cheap transforms:
/// - weights, once at load: U_k = (G g Gᵀ)_k, 16 matrices [M × C] (`WinogradPlan.transformWeights`);
/// - input, per run: V_k = (Bᵀ d B)_k for every channel and tile, into scratch;
/// - output, per run: Y = Aᵀ m A per tile, + bias, + activation, into Y.
///
/// Tiles are processed in chunks of whole tile rows so the scratch (V and M for one chunk)
/// stays bounded (`WinogradPlan.budgetFloats`) and mostly in cache between the transform and
/// the GEMMs. Odd output extents give partial tiles on the bottom/right edges: they are
/// computed in full from zero-padded input and only their valid outputs are stored.
///
/// Vectorization: both transforms work on 8 horizontally adjacent tiles at a time
/// (`SIMD8`). The input transform reads a zero-padded copy of the chunk's input rows, so
/// no border tests are needed; a group of 8 tiles at the end of a tile row may run past
/// it: the extra tiles land in the next tile row's slots (rewritten when that row is
/// transformed) or in the padding of V's rows (`ld` ≥ tiles + 8), never in live data.
///
/// Numerics: the F(2×2, 3×3) transforms only use 0, ±1 and ±½, so the error stays at the
/// level of the direct form (ResNet-18 at 224×224: 1.6e-6 max relative vs onnxruntime).
/// F(4×4, 3×3) (`WinogradF4`, 36 GEMMs) trades some of that accuracy for fewer multiplies.
///
/// The geometry, the run loop and the loops around the 8-tile kernels below are shared
/// with F(4×4) in `WinogradPlan`.

import CEdgeSupport

/// The F(2×2, 3×3) transforms and the choice of the Winograd paths.
enum Winograd: WinogradTransform {
    /// The plan of one conv: `rowTransform8`'s 16-float loads from 2 * tx + 2 read 2
    /// floats past the last group's tiles (18, as before the plans were shared).
    static func plan(c: Int, m: Int, h: WindowAxis, w: WindowAxis) -> WinogradPlan {
        WinogradPlan(c: c, m: m, h: h, w: w, tile: 2, padSlack: 18)
    }

    /// Whether the Winograd path handles (and should handle) a conv: 3×3, stride 1,
    /// dilation 1, one group, and enough channels for the GEMMs to pay (thresholds
    /// measured with OpenBLAS before Edge's own GEMM, not re-tuned since; see ConvLayer).
    static func applies(h: WindowAxis, w: WindowAxis, groupIn: Int, groupOut: Int, groups: Int) -> Bool {
        h.kernel == 3 && w.kernel == 3 && h.stride == 1 && w.stride == 1
            && h.dilation == 1 && w.dilation == 1 && groups == 1
            && groupIn >= minChannels && groupOut >= minChannels
            && ((h.output + 1) / 2) * ((w.output + 1) / 2) >= minTiles
    }

    /// Below these the GEMMs are too thin to beat im2col + one big GEMM. 16 tiles admits
    /// 7×7 planes (ResNet-18's layer4: 16 GEMMs 512×16×512 instead of one 512×49×4608,
    /// whose 49 columns the 32-wide tiles compute as 64): AVX-512, 1 thread, CPU time,
    /// 4 alternating pairs, load ~2.7, the three 7×7 3×3 convs took 12.6 -> 9.0 ms, the
    /// model 0.90x; N = 16 is a half tile exactly. (Was 32, set with OpenBLAS.)
    static var minChannels: Int { 16 }
    static var minTiles: Int { 16 }

    /// Row transform x B of 8 adjacent tiles' row (columns x0..x3 of each tile starting at
    /// `p`): x0 - x2, x1 + x2, x2 - x1, x1 - x3, into 4 planes `hs` apart.
#if arch(arm64) || arch(arm)
    @inline(never)
#else
    @inline(__always)
#endif
    static func rowTransform8(_ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ hs: Int) {
        let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        let b = UnsafeRawPointer(p + 2).loadUnaligned(as: SIMD16<Float>.self)
        let x0 = a.evenHalf, x1 = a.oddHalf, x2 = b.evenHalf, x3 = b.oddHalf
        UnsafeMutableRawPointer(o).storeBytes(of: x0 - x2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(o + hs).storeBytes(of: x1 + x2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(o + 2 &* hs).storeBytes(of: x2 - x1, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(o + 3 &* hs).storeBytes(of: x1 - x3, as: SIMD8<Float>.self)
    }

    /// Column transform Bᵀ (·) of 8 tiles from four row-transformed rows `pitch` apart:
    /// r0 - r2, r1 + r2, r2 - r1, r1 - r3, to V positions k = 4i + j (`ks` = 4 matrices).
#if arch(arm64) || arch(arm)
    @inline(never)
#else
    @inline(__always)
#endif
    static func columnTransform8(_ p: UnsafePointer<Float>, _ pitch: Int, _ out: UnsafeMutablePointer<Float>, _ ks: Int) {
        let r0 = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        let r1 = UnsafeRawPointer(p + pitch).loadUnaligned(as: SIMD8<Float>.self)
        let r2 = UnsafeRawPointer(p + 2 &* pitch).loadUnaligned(as: SIMD8<Float>.self)
        let r3 = UnsafeRawPointer(p + 3 &* pitch).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out).storeBytes(of: r0 - r2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + ks).storeBytes(of: r1 + r2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 2 &* ks).storeBytes(of: r2 - r1, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 3 &* ks).storeBytes(of: r1 - r3, as: SIMD8<Float>.self)
    }

    /// Aᵀ m A + bias for `WinogradOutputVector.scalarCount` adjacent tiles: two output rows
    /// of 2 values per tile, `rowPitch` apart from `rows`.
#if arch(arm64) || arch(arm)
    @inline(never)
#else
    @inline(__always)
#endif
    static func outputTiles(_ p: UnsafePointer<Float>, _ ks: Int, _ bias: Float,
                            _ rows: UnsafeMutablePointer<Float>, _ rowPitch: Int) {
        typealias V = WinogradOutputVector
        @inline(__always)
        func ld(_ k: Int) -> V { UnsafeRawPointer(p + k &* ks).loadUnaligned(as: V.self) }
        // Aᵀ m: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (rows, per column j).
        var s0 = (V(), V(), V(), V())
        var s1 = s0
        do {
            let a = ld(0), b = ld(4), cc = ld(8), d = ld(12)
            s0.0 = a + b + cc; s1.0 = b - cc - d
        }
        do {
            let a = ld(1), b = ld(5), cc = ld(9), d = ld(13)
            s0.1 = a + b + cc; s1.1 = b - cc - d
        }
        do {
            let a = ld(2), b = ld(6), cc = ld(10), d = ld(14)
            s0.2 = a + b + cc; s1.2 = b - cc - d
        }
        do {
            let a = ld(3), b = ld(7), cc = ld(11), d = ld(15)
            s0.3 = a + b + cc; s1.3 = b - cc - d
        }
        let bv = V(repeating: bias)
        let y00 = s0.0 + s0.1 + s0.2 + bv, y01 = s0.1 - s0.2 - s0.3 + bv
        let y10 = s1.0 + s1.1 + s1.2 + bv, y11 = s1.1 - s1.2 - s1.3 + bv
        storeInterleaved(rows, y00, y01)
        storeInterleaved(rows + rowPitch, y10, y11)
    }

    /// p[2t], p[2t + 1] = a[t], b[t]: the two columns of the tiles in order.
    @inline(__always)
    static func storeInterleaved(_ p: UnsafeMutablePointer<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: interleave(a, b), as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func storeInterleaved(_ p: UnsafeMutablePointer<Float>, _ a: SIMD4<Float>, _ b: SIMD4<Float>) {
        edge_store_interleaved2(p, a, b)
    }

    @inline(__always)
    static func interleave(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD16<Float> {
        SIMD16<Float>(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3],
                      a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }
}
