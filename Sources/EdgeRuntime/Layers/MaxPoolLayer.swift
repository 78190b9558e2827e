import CEdgeSupport
import EdgeFormat

/// ONNX MaxPool (2-D, NCHW, dilation, asymmetric pads; `ceil_mode` resolved in Y's shape).
///
/// Record: in [X] out [Y];
/// ints [kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight].
/// Padding never wins a max. A window clipped by the end of the input (ceil mode) takes
/// the max of what remains.
///
/// Stride-2 pools 2 or 3 wide (ResNet's stem, the classic 2×2/2) and stride-1 pools
/// (YOLO's 5×5/1) take a separable SIMD path over a row buffer in scratch (`MaxPoolRows`);
/// the rest the generic per-tap loops. With a thread pool current and enough outputs, the
/// planes are split over the threads (each plane is independent; a worker's row buffer is
/// its pool scratch).
public final class MaxPoolLayer: LayerKernel {
    let x: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let planes: Int
    let h: WindowAxis
    let w: WindowAxis
    let tapLo: [Int]
    let tapHi: [Int]

    /// The row-buffer SIMD path, if it applies.
    let fast: MaxPoolRows?

    public var scratchFloats: Int { fast?.rowFloats ?? 0 }
    public let flops: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        let win = try MaxPoolParams(op).window
        let (xt, yt) = try SizeCheck.poolOperands(op, inputs: inputs, outputs: outputs)
        h = try WindowAxis(input: xt.shape[2], output: yt.shape[2], kernel: win.kernelH, stride: win.strideH,
                           dilation: win.dilationH, padBefore: win.padTop, padAfter: win.padBottom, axis: "H", op: op)
        w = try WindowAxis(input: xt.shape[3], output: yt.shape[3], kernel: win.kernelW, stride: win.strideW,
                           dilation: win.dilationW, padBefore: win.padLeft, padAfter: win.padRight, axis: "W", op: op)
        try h.validatePool(axis: "H", op: op)
        try w.validatePool(axis: "W", op: op)
        var lo: [Int] = [], hi: [Int] = []
        for kw in 0..<w.kernel {
            let r = w.outputs(tap: kw)
            lo.append(r.lowerBound)
            hi.append(r.upperBound)
        }
        tapLo = lo
        tapHi = hi
        x = xt.data
        y = yt.data
        planes = xt.shape[0] * xt.shape[1]
        fast = MaxPoolRows.applies(h: h, w: w) ? MaxPoolRows(h: h, w: w) : nil
        flops = SizeCheck.flops(yt.count, h.kernel, w.kernel)
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let pool = edge_pool_current()
        let threads = Int(edge_pool_threads(pool))
        let rowFloats = fast?.rowFloats ?? 0
        guard threads > 1, planes > 1, planes * h.output * w.output >= MaxPoolLayer.parallelMinOutputs,
              rowFloats <= edge_pool_scratch_floats(pool) else {
            runPlanes(0..<planes, row: scratch)
            return
        }
        let parts = Swift.min(planes, 4 * threads)
        var job = MaxPoolJob(layer: self, scratch: scratch, pool: pool, chunk: (planes + parts - 1) / parts)
        withUnsafeMutablePointer(to: &job) { j in
            edge_pool_run(pool, { context, index, thread in
                let j = context!.assumingMemoryBound(to: MaxPoolJob.self)
                let p0 = index * j.pointee.chunk
                let row = thread == 0 ? j.pointee.scratch : edge_pool_scratch(j.pointee.pool, thread)!
                j.pointee.layer.runPlanes(p0..<Swift.min(p0 + j.pointee.chunk, j.pointee.layer.planes), row: row)
            }, j, (planes + j.pointee.chunk - 1) / j.pointee.chunk)
        }
    }

    /// Below this many outputs a split costs more than it saves (a wake-up and a join are
    /// a few microseconds; a plane of 56 x 56 outputs takes about as long).
    public static let parallelMinOutputs = 16 * 1024

    func runPlanes(_ range: Range<Int>, row: UnsafeMutablePointer<Float>) {
        let inPlane = h.input &* w.input, outPlane = h.output &* w.output
        if let fast = fast {
            for p in range { fast.run(x + p &* inPlane, row: row, into: y + p &* outPlane) }
        } else {
            for p in range {
                maxPoolPlane(x + p &* inPlane, h: h, w: w, tapLo: tapLo, tapHi: tapHi, into: y + p &* outPlane)
            }
        }
    }
}

/// The context of a parallel max pool, read by the pool's C task through a pointer.
private struct MaxPoolJob {
    let layer: MaxPoolLayer
    let scratch: UnsafeMutablePointer<Float>
    let pool: OpaquePointer?
    let chunk: Int
}
