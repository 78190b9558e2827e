import CEdgeSupport

/// im2col: lays out the input patches of a range of output positions as the columns of a
/// matrix, so a convolution becomes one GEMM: `Y[M, P] = W[M, C*kH*kW] * col[C*kH*kW, P]`.
///
/// `col` has one row per (channel, kh, kw) tap, in the same order as the weights of an
/// ONNX Conv (`W[m, c, kh, kw]`), so the weight tensor is used as the GEMM's A matrix
/// with no repacking. Each row holds `count` consecutive output positions starting at
/// `first` (flattened `oh * OW + ow`): the caller may cover the outputs in tiles to bound
/// the scratch size and keep a tile's columns in cache for the GEMM that consumes them.
///
/// Padding becomes zeros. Instead of testing every element against the borders, each
/// output row segment is split into [zeros | in-bounds copy | zeros] from the range of
/// outputs where the tap lands inside the input (`WindowAxis.outputs(tap:)`).
///
/// With a thread pool current (edge_threads.h) and enough to copy, the channels are split
/// over the threads (each channel's rows are disjoint), so the second core is not idle
/// while the GEMM's operand is laid out.
func im2col(_ x: UnsafePointer<Float>, channels: Int, h: WindowAxis, w: WindowAxis,
            first: Int, count: Int, into col: UnsafeMutablePointer<Float>) {
    let pool = edge_pool_current()
    let threads = Int(edge_pool_threads(pool))
    let floats = channels * h.kernel * w.kernel * count
    guard threads > 1, channels > 1, floats >= im2colParallelMinFloats else {
        im2col(x, channels: 0..<channels, h: h, w: w, first: first, count: count, into: col)
        return
    }
    let parts = Swift.min(channels, 4 * threads)
    var job = Im2ColJob(x: x, h: h, w: w, first: first, count: count, col: col, channels: channels,
                        chunk: (channels + parts - 1) / parts)
    withUnsafeMutablePointer(to: &job) { j in
        edge_pool_run(pool, { context, index, _ in
            let j = context!.assumingMemoryBound(to: Im2ColJob.self)
            let c0 = index * j.pointee.chunk
            let c1 = Swift.min(c0 + j.pointee.chunk, j.pointee.channels)
            im2col(j.pointee.x, channels: c0..<c1, h: j.pointee.h, w: j.pointee.w, first: j.pointee.first,
                   count: j.pointee.count, into: j.pointee.col)
        }, j, (channels + j.pointee.chunk - 1) / j.pointee.chunk)
    }
}

/// Below this many floats of `col` a split costs more than the copy (a wake-up and a
/// join are a few microseconds; the copy runs at several floats per nanosecond).
private let im2colParallelMinFloats = 64 * 1024

/// The context of a parallel im2col, read by the pool's C task through a pointer.
private struct Im2ColJob {
    let x: UnsafePointer<Float>
    let h: WindowAxis
    let w: WindowAxis
    let first: Int
    let count: Int
    let col: UnsafeMutablePointer<Float>
    let channels: Int
    let chunk: Int
}

/// The rows of input channels `channels` only (at their place in the whole `col`).
/// Index arithmetic wraps (`&*`, `&+`): every offset stays inside X or `col`, whose sizes
/// load checked (ConvLayer); the overflow checks were 400 B of the device binary.
func im2col(_ x: UnsafePointer<Float>, channels: Range<Int>, h: WindowAxis, w: WindowAxis,
            first: Int, count: Int, into col: UnsafeMutablePointer<Float>) {
    let inH = h.input, inW = w.input, outW = w.output
    let sw = w.stride
    var row = col + channels.lowerBound &* h.kernel &* w.kernel &* count
    for c in channels {
        let plane = x + c &* inH &* inW
        for kh in 0..<h.kernel {
            let hOffset = kh &* h.dilation &- h.padBefore
            for kw in 0..<w.kernel {
                let wOffset = kw &* w.dilation &- w.padBefore
                let valid = w.outputs(tap: kw)
                var p = first
                var j = 0
                while j < count {
                    let oh = p / outW
                    let ow0 = p &- oh &* outW
                    let seg = Swift.min(outW &- ow0, count &- j)
                    let dst = row + (j &- ow0)          // dst[ow] for ow in ow0..<ow0+seg
                    let ih = oh &* h.stride &+ hOffset
                    if ih < 0 || ih >= inH {
                        for ow in ow0..<(ow0 &+ seg) { dst[ow] = 0 }
                    } else {
                        let lo = Swift.min(Swift.max(valid.lowerBound, ow0), ow0 &+ seg)
                        let hi = Swift.max(Swift.min(valid.upperBound, ow0 &+ seg), lo)
                        for ow in ow0..<lo { dst[ow] = 0 }
                        let base = ih &* inW &+ wOffset   // input index of ow is base + ow * sw
                        let src = plane + base
                        if sw == 1 {
                            for ow in lo..<hi { dst[ow] = src[ow] }
                        } else if sw == 2 {
                            // 8 outputs from one 16-wide load's even lanes; the load never
                            // reaches past input 2*(hi-1) (the last one used), so never past X.
                            var ow = lo
                            while ow &+ 8 < hi {
                                let v = UnsafeRawPointer(src + (ow &<< 1)).loadUnaligned(as: SIMD16<Float>.self)
                                UnsafeMutableRawPointer(dst + ow).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                                ow &+= 8
                            }
                            while ow < hi { dst[ow] = src[ow &<< 1]; ow &+= 1 }
                        } else {
                            // Wrapping multiply: a checked one blocks vectorization.
                            for ow in lo..<hi { dst[ow] = src[ow &* sw] }
                        }
                        for ow in hi..<(ow0 &+ seg) { dst[ow] = 0 }
                    }
                    j &+= seg
                    p &+= seg
                }
                row += count
            }
        }
    }
}
