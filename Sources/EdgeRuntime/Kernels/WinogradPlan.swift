/// What the two Winograd paths share: the per-layer geometry (tiles, chunks of tile rows,
/// scratch layout), the run loop over chunks, the zero-padded input rows, the loops of
/// the input and output transforms around their 8-tile kernels, and the split of the
/// transforms over the thread pool. The transform arithmetic itself is in `Winograd`
/// (F(2×2, 3×3), 4×4 transformed tiles, 16 GEMMs; the scheme is described there) and
/// `WinogradF4` (F(4×4, 3×3), 6×6, 36 GEMMs), both `WinogradTransform`s.

import CEdgeSupport
import EdgeFormat

/// The kernels of one Winograd variant (8 tiles at a time; the output transform
/// `WinogradOutputVector.scalarCount`), F(tile×tile, 3×3) (`WinogradPlan.tile`). Static and generic
/// (specialized per variant), so the shared loops cost nothing over hand-written ones.
///
/// On ARM the kernels are calls (`@inline(never)`), not inlined into the loops: inlined,
/// loop strength reduction kept one pointer per load live across the loop (36 for
/// F(4×4)'s output tiles), spilled, and the device binary carried 3.6 KB more; a call per
/// 8 (4) tiles is small next to their work. x86 inlines them as before.
protocol WinogradTransform {
    /// Row transform d B of 8 adjacent tiles' row (tile t's columns at `p + tile * t`),
    /// into `tile + 2` planes `hs` apart.
    static func rowTransform8(_ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ hs: Int)
    /// Column transform Bᵀ (·) of 8 tiles from `tile + 2` row-transformed rows `pitch`
    /// apart, to V positions k = (tile + 2) i + j (`ks` = tile + 2 matrices).
    static func columnTransform8(_ p: UnsafePointer<Float>, _ pitch: Int, _ out: UnsafeMutablePointer<Float>,
                                 _ ks: Int)
    /// Aᵀ m A + bias for `WinogradOutputVector.scalarCount` adjacent tiles (position k's
    /// values at `p + k * ks`): `tile` output rows of that many * tile values each,
    /// `rowPitch` apart from `rows`.
    static func outputTiles(_ p: UnsafePointer<Float>, _ ks: Int, _ bias: Float,
                            _ rows: UnsafeMutablePointer<Float>, _ rowPitch: Int)
}

/// The output transforms' vector: 8 tiles (one AVX register) on x86, 4 on ARM, where NEON's
/// 32 (AArch64) 128-bit registers cannot hold F(4×4)'s 24 live column sums of 8 tiles: the
/// SIMD8 kernel spilled and took 7.7 KB of the device binary (2.8 KB at 4 lanes).
#if arch(arm64) || arch(arm)
typealias WinogradOutputVector = SIMD4<Float>
#else
typealias WinogradOutputVector = SIMD8<Float>
#endif

/// The per-layer geometry of a Winograd path and its run loop.
struct WinogradPlan {
    /// Scratch budget for one chunk's V and M matrices, in floats (4 MiB). Measured on
    /// ResNet-18 with OpenBLAS on F(2×2) (before Edge's own GEMM; not re-tuned since):
    /// 2 MiB chunks made 28×28×128 layers 15% slower, 56×56×64 ones about the same.
    static let budgetFloats = 1 << 20

    let c: Int
    let m: Int
    let h: WindowAxis
    let w: WindowAxis
    /// Output tile side (2: `Winograd`, 4: `WinogradF4`) and the transformed tile's side
    /// (`tile + 2`) and positions (its square: the number of GEMMs).
    let tile: Int
    let side: Int
    let positions: Int
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
    /// `tile` output row buffers of `rowFloats` each.
    let rowOffset: Int
    let rowFloats: Int
    /// Row-transformed padded rows: `side` planes [padH × tilesW8].
    let hOffset: Int
    let scratchFloats: Int

    /// `padSlack`: floats past `tile * tilesW8` that the row transform of the last 8-tile
    /// group reads (its loads are wider than the tiles' own columns).
    init(c: Int, m: Int, h: WindowAxis, w: WindowAxis, tile: Int, padSlack: Int) {
        self.c = c
        self.m = m
        self.h = h
        self.w = w
        self.tile = tile
        side = tile + 2
        positions = side * side
        tilesH = (h.output + tile - 1) / tile
        tilesW = (w.output + tile - 1) / tile
        tilesW8 = (tilesW + 7) & ~7
        let perTile = positions * (c + m)
        let fit = Swift.max(1, WinogradPlan.budgetFloats / perTile / tilesW)
        chunkRows = Swift.min(tilesH, fit)
        ld = (chunkRows * tilesW + 8 + 15) & ~15
        padW = tile * tilesW8 + padSlack
        padH = tile * chunkRows + 2
        rowFloats = tile * tilesW8 + 16
        vOffset = 0
        mOffset = positions * c * ld
        padOffset = mOffset + positions * m * ld
        rowOffset = padOffset + padW * padH + 16
        hOffset = rowOffset + tile * rowFloats
        scratchFloats = hOffset + side * padH * tilesW8 + 16
    }

    /// Floats one thread needs for a transform of its share of channels: the padded input
    /// rows and their row transforms (input), or the output rows (output, smaller).
    var transformFloats: Int { (padW * padH + 16) + (side * padH * tilesW8 + 16) }

    /// `u` holds the `positions` transformed weight matrices packed at load; `gemmScratch`
    /// the GEMMs' packed right operand (after this plan's `scratchFloats`).
    ///
    /// With a thread pool current (edge_threads.h) each chunk is three parallel regions:
    /// the input transform split over input channels, the GEMMs as one batch, the output
    /// transform split over output channels. Splitting the transforms too keeps the
    /// second core busy for the ~30% of a chunk they take; batching the GEMMs makes one
    /// wake-up and one join. Every output is computed by the same arithmetic whatever the
    /// split, so the result does not depend on the thread count.
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
            if splitTransforms {
                parallelTransform(input: true, x: x, y: y, firstTileRow: ty0, rows: rows, bias: bias,
                                  activation: activation, scratch: scratch, pool: pool, threads: threads)
            } else {
                inputTransform(x, channels: 0..<c, firstTileRow: ty0, rows: rows, into: v,
                               pad: scratch + padOffset, hbuf: scratch + hOffset)
            }
            u.multiplyBatch(count: positions, n: rows * tilesW, right: v, rightItemStride: c * ld, ldr: ld, c: mm,
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
        if tile == 2 {
            inputTransform(Winograd.self, x, channels: channels, firstTileRow: ty0, rows: rows, into: v,
                           pad: pad, hbuf: hbuf)
        } else {
            inputTransform(WinogradF4.self, x, channels: channels, firstTileRow: ty0, rows: rows, into: v,
                           pad: pad, hbuf: hbuf)
        }
    }

    // The index arithmetic of both transforms wraps (`&*`, `&+`): every offset stays inside
    // X, Y or the scratch, whose sizes load checked (ConvLayer, `scratchFloats`), and the
    // overflow checks were a third of the loops' code. Not inlined on ARM: `run` and the
    // parallel task both call them, and two inlined copies cost the device binary; x86 keeps
    // the compiler's choice, as before.
#if arch(arm64) || arch(arm)
    @inline(never)
#endif
    private func inputTransform<T: WinogradTransform>(_: T.Type, _ x: UnsafePointer<Float>, channels: Range<Int>,
                                                      firstTileRow ty0: Int, rows: Int,
                                                      into v: UnsafeMutablePointer<Float>,
                                                      pad: UnsafeMutablePointer<Float>,
                                                      hbuf: UnsafeMutablePointer<Float>) {
        let inH = h.input, inW = w.input, pw = padW
        let left = w.padBefore
        let copyW = Swift.max(0, Swift.min(inW, pw &- left))
        let kStride = c &* ld
        let rowsIn = tile &* rows &+ 2
        let hs = padH &* tilesW8
        let top = tile &* ty0 &- h.padBefore
        for ic in channels {
            let plane = x + ic &* inH &* inW
            // Zero-padded copy of input rows tile*ty0 - padTop ..< +rowsIn.
            for q in 0..<rowsIn {
                let dst = pad + q &* pw
                let ih = top &+ q
                if ih < 0 || ih >= inH {
                    dst.update(repeating: 0, count: pw)
                } else {
                    dst.update(repeating: 0, count: left)
                    (dst + left).update(from: plane + ih &* inW, count: copyW)
                    (dst + (left &+ copyW)).update(repeating: 0, count: pw &- left &- copyW)
                }
            }
            // d B for every padded row (each is shared by two tile rows), then Bᵀ (·).
            for q in 0..<rowsIn {
                let p = UnsafePointer(pad + q &* pw)
                let o = hbuf + q &* tilesW8
                var tx = 0
                while tx < tilesW {
                    T.rowTransform8(p + tile &* tx, o + tx, hs)
                    tx &+= 8
                }
            }
            let vc = v + ic &* ld
            for r in 0..<rows {
                let base = vc + r &* tilesW
                let h0 = UnsafePointer(hbuf + tile &* r &* tilesW8)
                for j in 0..<side {
                    let hj = h0 + j &* hs
                    let out = base + j &* kStride
                    var tx = 0
                    while tx < tilesW {
                        T.columnTransform8(hj + tx, tilesW8, out + tx, side &* kStride)
                        tx &+= 8
                    }
                }
            }
        }
    }

    /// Y = Aᵀ m A for the chunk's tiles, + bias, + activation, output channels `channels`.
    func outputTransform(_ mm: UnsafePointer<Float>, channels: Range<Int>, firstTileRow ty0: Int, rows: Int,
                         bias: UnsafePointer<Float>?, activation: Activation,
                         into y: UnsafeMutablePointer<Float>, rowBuffer: UnsafeMutablePointer<Float>) {
        if tile == 2 {
            outputTransform(Winograd.self, mm, channels: channels, firstTileRow: ty0, rows: rows, bias: bias,
                            activation: activation, into: y, rowBuffer: rowBuffer)
        } else {
            outputTransform(WinogradF4.self, mm, channels: channels, firstTileRow: ty0, rows: rows, bias: bias,
                            activation: activation, into: y, rowBuffer: rowBuffer)
        }
    }

#if arch(arm64) || arch(arm)
    @inline(never)
#endif
    private func outputTransform<T: WinogradTransform>(_: T.Type, _ mm: UnsafePointer<Float>, channels: Range<Int>,
                                                       firstTileRow ty0: Int, rows: Int,
                                                       bias: UnsafePointer<Float>?, activation: Activation,
                                                       into y: UnsafeMutablePointer<Float>,
                                                       rowBuffer: UnsafeMutablePointer<Float>) {
        let outH = h.output, outW = w.output
        let kStride = m &* ld
        let rf = rowFloats
        for oc in channels {
            let bv = bias.map { $0[oc] } ?? 0
            let src = mm + oc &* ld
            let plane = y + oc &* outH &* outW
            for r in 0..<rows {
                let base = src + r &* tilesW
                var tx = 0
                while tx < tilesW {
                    T.outputTiles(base + tx, kStride, bv, rowBuffer + tile &* tx, rf)
                    tx &+= WinogradOutputVector.scalarCount
                }
                // The tile's output rows, the activation on each while it is in cache.
                let oh0 = tile &* (ty0 &+ r)
                for a in 0..<tile {
                    let oh = oh0 &+ a
                    if oh >= outH { break }
                    let dst = plane + oh &* outW
                    dst.update(from: rowBuffer + a &* rf, count: outW)
                    activation.apply(dst, count: outW)
                }
            }
        }
    }
}

extension WinogradPlan {
    /// Row i of G (`side` rows of 3): F(2×2, 3×3)'s [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1], or
    /// F(4×4, 3×3)'s (Lavin & Gray, see `WinogradF4`). In Double: the weights are
    /// transformed once, so only the final store to Float rounds.
    static func g(tile: Int, _ i: Int) -> (Double, Double, Double) {
        if tile == 2 {
            switch i {
            case 0: return (1, 0, 0)
            case 1: return (0.5, 0.5, 0.5)
            case 2: return (0.5, -0.5, 0.5)
            default: return (0, 0, 1)
            }
        }
        switch i {
        case 0: return (0.25, 0, 0)
        case 1: return (-1.0 / 6, -1.0 / 6, -1.0 / 6)
        case 2: return (-1.0 / 6, 1.0 / 6, -1.0 / 6)
        case 3: return (1.0 / 24, 1.0 / 12, 1.0 / 6)
        case 4: return (1.0 / 24, -1.0 / 12, 1.0 / 6)
        default: return (0, 0, 1)
        }
    }

    /// The `positions` transformed weight matrices U_k = (G f Gᵀ)_k, each [M × C]
    /// row-major, matrix k = side·i + j at `k * m * c`, of an ONNX weight tensor `f`
    /// [M, C, 3, 3]: the plain copy ConvLayer packs for the GEMM kernel, then drops.
    /// One routine for both tile sizes, with G's rows looked up in the loop: unrolled per
    /// tile size and inlined into ConvLayer.init, the two transforms took ~4 KB of the
    /// device binary, for work done once at load.
    @inline(never)
    func transformWeights(_ f: UnsafePointer<Float>) throws(EdgeError) -> OwnedFloats {
        // Offsets wrap (`&*`, `&+`): ConvLayer checked positions * M * C before the call.
        let plane = m &* c
        let u = try OwnedFloats(count: positions &* plane)
        for oc in 0..<m {
            for ic in 0..<c {
                let k = f + (oc &* c &+ ic) &* 9
                let at = u.pointer + (oc &* c &+ ic)
                for i in 0..<side {
                    // Row i of G f, then its products with the rows of G: U[i][j].
                    let (a, b, cc) = WinogradPlan.g(tile: tile, i)
                    let t0 = a * Double(k[0]) + b * Double(k[3]) + cc * Double(k[6])
                    let t1 = a * Double(k[1]) + b * Double(k[4]) + cc * Double(k[7])
                    let t2 = a * Double(k[2]) + b * Double(k[5]) + cc * Double(k[8])
                    for j in 0..<side {
                        let (p, q, r) = WinogradPlan.g(tile: tile, j)
                        at[(i &* side &+ j) &* plane] = Float(t0 * p + t1 * q + t2 * r)
                    }
                }
            }
        }
        return u
    }
}

/// The context of one parallel Winograd transform (`WinogradPlan.parallelTransform`),
/// read by the pool's C task through a pointer.
private struct WinogradTransformJob {
    let plan: WinogradPlan
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
