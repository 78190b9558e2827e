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
/// - weights, once at load: U_k = (G g Gᵀ)_k, 16 matrices [M × C] (`WinogradWeights`);
/// - input, per run: V_k = (Bᵀ d B)_k for every channel and tile, into scratch;
/// - output, per run: Y = Aᵀ m A per tile, + bias, + activation, into Y.
///
/// Tiles are processed in chunks of whole tile rows so the scratch (V and M for one chunk)
/// stays bounded (`Winograd.budgetFloats`) and mostly in cache between the transform and
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
/// F(4×4, 3×3) (36 GEMMs, 4× fewer multiplies) is not implemented: its larger transform
/// constants cost accuracy in fp32.

import CEdgeSupport

/// The transformed weights of one conv, owned (allocated at load; ConvLayer packs them
/// for the GEMM kernel and drops this plain copy).
final class WinogradWeights {
    /// 16 matrices [M × C], row-major, matrix k at `u + k * m * c`.
    let u: UnsafeMutablePointer<Float>
    let m: Int
    let c: Int

    /// `g` is an ONNX weight tensor [M, C, 3, 3].
    init(_ g: UnsafePointer<Float>, m: Int, c: Int) {
        self.m = m
        self.c = c
        let plane = m * c
        u = UnsafeMutablePointer<Float>.allocate(capacity: 16 * plane)
        for oc in 0..<m {
            for ic in 0..<c {
                let f = g + (oc * c + ic) * 9
                // t = G g (4×3), then U = t Gᵀ (4×4). G rows: [1,0,0], [½,½,½], [½,-½,½], [0,0,1].
                var t = SIMD16<Float>()   // t[i * 3 + j], 12 used
                for j in 0..<3 {
                    let a = f[j], b = f[3 + j], cc = f[6 + j]
                    t[j] = a
                    t[3 + j] = 0.5 * (a + b + cc)
                    t[6 + j] = 0.5 * (a - b + cc)
                    t[9 + j] = cc
                }
                let at = u + oc * c + ic
                for i in 0..<4 {
                    let a = t[i * 3], b = t[i * 3 + 1], cc = t[i * 3 + 2]
                    at[(i * 4) * plane] = a
                    at[(i * 4 + 1) * plane] = 0.5 * (a + b + cc)
                    at[(i * 4 + 2) * plane] = 0.5 * (a - b + cc)
                    at[(i * 4 + 3) * plane] = cc
                }
            }
        }
    }

    deinit { u.deallocate() }
}

/// The per-layer geometry of the Winograd path and its run loop.
struct Winograd {
    /// Scratch budget for one chunk's V and M matrices, in floats (4 MiB). Measured on
    /// ResNet-18 with OpenBLAS (before Edge's own GEMM; not re-tuned since): 2 MiB chunks
    /// made 28×28×128 layers 15% slower, 56×56×64 ones about the same.
    static let budgetFloats = 1 << 20

    let c: Int
    let m: Int
    let h: WindowAxis
    let w: WindowAxis
    let tilesH: Int
    let tilesW: Int
    /// `tilesW` rounded up to a multiple of 8 (the transforms' vector width).
    let tilesW8: Int
    /// Tile rows per chunk and the leading dimension of the V and M rows.
    let chunkRows: Int
    let ld: Int
    /// Padded input rows (one chunk of one channel): width and height.
    let padW: Int
    let padH: Int
    /// Scratch layout, in floats from the start.
    let vOffset: Int
    let mOffset: Int
    let padOffset: Int
    let rowOffset: Int
    /// Row-transformed padded rows: 4 planes [padH × tilesW8].
    let hOffset: Int
    let scratchFloats: Int

    init(c: Int, m: Int, h: WindowAxis, w: WindowAxis) {
        self.c = c
        self.m = m
        self.h = h
        self.w = w
        tilesH = (h.output + 1) / 2
        tilesW = (w.output + 1) / 2
        tilesW8 = (tilesW + 7) & ~7
        let perTile = 16 * (c + m)
        let fit = Swift.max(1, Winograd.budgetFloats / perTile / tilesW)
        chunkRows = Swift.min(tilesH, fit)
        ld = (chunkRows * tilesW + 8 + 15) & ~15
        padW = 2 * tilesW8 + 2 + 16
        padH = 2 * chunkRows + 2
        vOffset = 0
        mOffset = 16 * c * ld
        padOffset = mOffset + 16 * m * ld
        rowOffset = padOffset + padW * padH + 16
        hOffset = rowOffset + 2 * (2 * tilesW8 + 16)
        scratchFloats = hOffset + 4 * padH * tilesW8 + 16
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

    /// Below these the GEMMs are too thin to beat im2col + one big GEMM.
    static var minChannels: Int { 16 }
    static var minTiles: Int { 32 }

    /// Floats one thread needs for a transform of its share of channels: the padded input
    /// rows and their row transforms (input), or the two output rows (output, smaller).
    var transformFloats: Int { (padW * padH + 16) + (4 * padH * tilesW8 + 16) }

    /// `u` holds the 16 transformed weight matrices packed at load; `gemmScratch` the
    /// GEMMs' packed right operand (after this plan's `scratchFloats`).
    ///
    /// With a thread pool current (edge_threads.h) each chunk is three parallel regions:
    /// the input transform split over input channels, the 16 GEMMs as one batch, the
    /// output transform split over output channels. Splitting the transforms too keeps the
    /// second core busy for the ~30% of a chunk they take; batching the GEMMs makes one
    /// wake-up and one join of 16. Every output is computed by the same arithmetic
    /// whatever the split, so the result does not depend on the thread count.
    func run(x: UnsafePointer<Float>, u: PackedOperand, bias: UnsafePointer<Float>?,
             activation: Activation, y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
             gemmScratch: UnsafeMutablePointer<Float>) {
        let v = scratch + vOffset, mm = scratch + mOffset
        let pool = edge_pool_current()
        let threads = Int(edge_pool_threads(pool))
        let splitTransforms = threads > 1 && transformFloats <= edge_pool_scratch_floats(pool)
        var ty0 = 0
        while ty0 < tilesH {
            let rows = Swift.min(chunkRows, tilesH - ty0)
            let tiles = rows * tilesW
            if splitTransforms {
                parallelTransform(input: true, x: x, y: y, firstTileRow: ty0, rows: rows, bias: bias,
                                  activation: activation, scratch: scratch, pool: pool, threads: threads)
            } else {
                inputTransform(x, channels: 0..<c, firstTileRow: ty0, rows: rows, into: v,
                               pad: scratch + padOffset, hbuf: scratch + hOffset)
            }
            u.multiplyBatch(count: 16, n: tiles, right: v, rightItemStride: c * ld, ldr: ld, c: mm,
                            cItemStride: m * ld, ldc: ld, scratch: gemmScratch)
            if splitTransforms {
                parallelTransform(input: false, x: x, y: y, firstTileRow: ty0, rows: rows, bias: bias,
                                  activation: activation, scratch: scratch, pool: pool, threads: threads)
            } else {
                outputTransform(mm, channels: 0..<m, firstTileRow: ty0, rows: rows, bias: bias,
                                activation: activation, into: y, rowBuffer: scratch + rowOffset)
            }
            ty0 += rows
        }
    }

    /// One transform of one chunk over the pool: input channels (`input`) or output
    /// channels in ranges of `chunk`, a few ranges per thread so a preempted thread's
    /// share goes to the others. Thread 0 uses the layer's scratch, the workers their own.
    private func parallelTransform(input: Bool, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                   firstTileRow ty0: Int, rows: Int, bias: UnsafePointer<Float>?,
                                   activation: Activation, scratch: UnsafeMutablePointer<Float>,
                                   pool: OpaquePointer?, threads: Int) {
        let channels = input ? c : m
        let parts = Swift.min(channels, 4 * threads)
        var job = WinogradTransformJob(plan: self, input: input, x: x, y: y, ty0: ty0, rows: rows, bias: bias,
                                       activation: activation, scratch: scratch, pool: pool,
                                       chunk: (channels + parts - 1) / parts)
        let count = (channels + job.chunk - 1) / job.chunk
        withUnsafeMutablePointer(to: &job) { j in
            edge_pool_run(pool, { context, index, thread in
                let j = context!.assumingMemoryBound(to: WinogradTransformJob.self)
                j.pointee.run(index, thread: Int(thread))
            }, j, count)
        }
    }

    /// V_k[ic][t] for the chunk's tiles, input channels `channels`.
    func inputTransform(_ x: UnsafePointer<Float>, channels: Range<Int>, firstTileRow ty0: Int, rows: Int,
                        into v: UnsafeMutablePointer<Float>, pad: UnsafeMutablePointer<Float>,
                        hbuf: UnsafeMutablePointer<Float>) {
        let inH = h.input, inW = w.input, pw = padW
        let left = w.padBefore
        let copyW = Swift.min(inW, pw - left)
        let kStride = c * ld
        let rowsIn = 2 * rows + 2
        for ic in channels {
            let plane = x + ic * inH * inW
            // Zero-padded copy of input rows 2*ty0 - padTop ..< +rowsIn.
            for q in 0..<rowsIn {
                let dst = pad + q * pw
                let ih = 2 * ty0 + q - h.padBefore
                if ih < 0 || ih >= inH {
                    dst.update(repeating: 0, count: pw)
                } else {
                    dst.update(repeating: 0, count: left)
                    (dst + left).update(from: plane + ih * inW, count: copyW)
                    (dst + left + copyW).update(repeating: 0, count: pw - left - copyW)
                }
            }
            // d B for every padded row (each is shared by two tile rows), then Bᵀ (·).
            let hs = padH * tilesW8
            for q in 0..<rowsIn {
                let p = UnsafePointer(pad + q * pw)
                let o = hbuf + q * tilesW8
                var tx = 0
                while tx < tilesW {
                    Winograd.rowTransform8(p + 2 * tx, o + tx, hs)
                    tx += 8
                }
            }
            let vc = v + ic * ld
            for r in 0..<rows {
                let base = vc + r * tilesW
                let h0 = UnsafePointer(hbuf + 2 * r * tilesW8)
                for j in 0..<4 {
                    let hj = h0 + j * hs
                    var tx = 0
                    while tx < tilesW {
                        Winograd.columnTransform8(hj + tx, tilesW8, base + tx + j * kStride, 4 * kStride)
                        tx += 8
                    }
                }
            }
        }
    }

    /// Row transform x B of 8 adjacent tiles' row (columns x0..x3 of each tile starting at
    /// `p`): x0 - x2, x1 + x2, x2 - x1, x1 - x3, into 4 planes `hs` apart.
    @inline(__always)
    static func rowTransform8(_ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ hs: Int) {
        let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        let b = UnsafeRawPointer(p + 2).loadUnaligned(as: SIMD16<Float>.self)
        let x0 = a.evenHalf, x1 = a.oddHalf, x2 = b.evenHalf, x3 = b.oddHalf
        UnsafeMutableRawPointer(o).storeBytes(of: x0 - x2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(o + hs).storeBytes(of: x1 + x2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(o + 2 * hs).storeBytes(of: x2 - x1, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(o + 3 * hs).storeBytes(of: x1 - x3, as: SIMD8<Float>.self)
    }

    /// Column transform Bᵀ (·) of 8 tiles from four row-transformed rows `pitch` apart:
    /// r0 - r2, r1 + r2, r2 - r1, r1 - r3, to V positions k = 4i + j (`ks` = 4 matrices).
    @inline(__always)
    static func columnTransform8(_ p: UnsafePointer<Float>, _ pitch: Int, _ out: UnsafeMutablePointer<Float>, _ ks: Int) {
        let r0 = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        let r1 = UnsafeRawPointer(p + pitch).loadUnaligned(as: SIMD8<Float>.self)
        let r2 = UnsafeRawPointer(p + 2 * pitch).loadUnaligned(as: SIMD8<Float>.self)
        let r3 = UnsafeRawPointer(p + 3 * pitch).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out).storeBytes(of: r0 - r2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + ks).storeBytes(of: r1 + r2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 2 * ks).storeBytes(of: r2 - r1, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 3 * ks).storeBytes(of: r1 - r3, as: SIMD8<Float>.self)
    }

    /// Y = Aᵀ m A for the chunk's tiles, + bias, + activation, output channels `channels`.
    func outputTransform(_ mm: UnsafePointer<Float>, channels: Range<Int>, firstTileRow ty0: Int, rows: Int,
                         bias: UnsafePointer<Float>?, activation: Activation,
                         into y: UnsafeMutablePointer<Float>, rowBuffer: UnsafeMutablePointer<Float>) {
        let outH = h.output, outW = w.output
        let kStride = m * ld
        let rb0 = rowBuffer, rb1 = rowBuffer + (2 * tilesW8 + 16)
        for oc in channels {
            let bv = bias.map { $0[oc] } ?? 0
            let src = mm + oc * ld
            let plane = y + oc * outH * outW
            for r in 0..<rows {
                let base = src + r * tilesW
                var tx = 0
                while tx < tilesW {
                    Winograd.outputTile8(base + tx, kStride, bv, rb0 + 2 * tx, rb1 + 2 * tx)
                    tx += 8
                }
                let oh = 2 * (ty0 + r)
                let y0 = plane + oh * outW
                y0.update(from: rb0, count: outW)
                activation.apply(y0, count: outW)
                if oh + 1 < outH {
                    let y1 = y0 + outW
                    y1.update(from: rb1, count: outW)
                    activation.apply(y1, count: outW)
                }
            }
        }
    }

    /// Aᵀ m A + bias for 8 adjacent tiles: 16 outputs of each of two rows.
    @inline(__always)
    static func outputTile8(_ p: UnsafePointer<Float>, _ ks: Int, _ bias: Float,
                            _ row0: UnsafeMutablePointer<Float>, _ row1: UnsafeMutablePointer<Float>) {
        @inline(__always)
        func ld8(_ k: Int) -> SIMD8<Float> { UnsafeRawPointer(p + k * ks).loadUnaligned(as: SIMD8<Float>.self) }
        // Aᵀ m: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (rows, per column j).
        var s0 = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var s1 = s0
        do {
            let a = ld8(0), b = ld8(4), cc = ld8(8), d = ld8(12)
            s0.0 = a + b + cc; s1.0 = b - cc - d
        }
        do {
            let a = ld8(1), b = ld8(5), cc = ld8(9), d = ld8(13)
            s0.1 = a + b + cc; s1.1 = b - cc - d
        }
        do {
            let a = ld8(2), b = ld8(6), cc = ld8(10), d = ld8(14)
            s0.2 = a + b + cc; s1.2 = b - cc - d
        }
        do {
            let a = ld8(3), b = ld8(7), cc = ld8(11), d = ld8(15)
            s0.3 = a + b + cc; s1.3 = b - cc - d
        }
        let bv = SIMD8<Float>(repeating: bias)
        let y00 = s0.0 + s0.1 + s0.2 + bv, y01 = s0.1 - s0.2 - s0.3 + bv
        let y10 = s1.0 + s1.1 + s1.2 + bv, y11 = s1.1 - s1.2 - s1.3 + bv
        UnsafeMutableRawPointer(row0).storeBytes(of: interleave(y00, y01), as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(row1).storeBytes(of: interleave(y10, y11), as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func interleave(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD16<Float> {
        SIMD16<Float>(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3],
                      a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }
}

/// The context of one parallel Winograd transform (`Winograd.parallelTransform`), read by
/// the pool's C task through a pointer.
private struct WinogradTransformJob {
    let plan: Winograd
    let input: Bool
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let ty0: Int
    let rows: Int
    let bias: UnsafePointer<Float>?
    let activation: Activation
    let scratch: UnsafeMutablePointer<Float>
    let pool: OpaquePointer?
    let chunk: Int

    /// Channel range `index` on `thread`.
    func run(_ index: Int, thread: Int) {
        let p = plan
        let channels = (index * chunk)..<Swift.min((index + 1) * chunk, input ? p.c : p.m)
        // Thread 0: the layer's own pad/row buffers; a worker: its pool scratch, laid out
        // as [pad | row transforms] (the output rows fit in the pad's place).
        let own = thread == 0 ? nil : edge_pool_scratch(pool, Int32(thread))
        if input {
            let pad = own ?? scratch + p.padOffset
            let hbuf = own.map { $0 + (p.padW * p.padH + 16) } ?? scratch + p.hOffset
            p.inputTransform(x, channels: channels, firstTileRow: ty0, rows: rows, into: scratch + p.vOffset,
                             pad: pad, hbuf: hbuf)
        } else {
            p.outputTransform(UnsafePointer(scratch + p.mOffset), channels: channels, firstTileRow: ty0, rows: rows,
                              bias: bias, activation: activation, into: y, rowBuffer: own ?? scratch + p.rowOffset)
        }
    }
}
