import CEdgeSupport
import EdgeFormat

/// ONNX ConvTranspose (2-D, NCHW, groups, dilation, asymmetric pads, output padding
/// already resolved into Y's shape) with a fused bias + activation.
///
/// Record: in [X, W, B?] out [Y]; W is [C, M/group, kH, kW] (ONNX layout);
/// ints [act, group, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight];
/// floats [alpha, beta].
///
/// Computed as the adjoint of im2col convolution: per group and tile of input positions
/// one GEMM `col[Mg*kH*kW, tile] = W_g^T * X_g[:, tile]` (W_g is the group's
/// [Cg, Mg*kH*kW] rows of W, packed transposed for the GEMM kernel at load), then `col2imAdd`
/// scatters every column entry onto the output pixel it lands on. Tiling bounds the
/// scratch (a decoder's untiled column buffer easily reaches tens of MiB). Y starts as
/// the bias; the activation runs once the batch item is complete (it cannot be applied
/// while entries are still accumulating).
public final class ConvTransposeLayer: LayerKernel {
    let x: UnsafeMutablePointer<Float>
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>?
    let y: UnsafeMutablePointer<Float>
    let activation: Activation
    let batch: Int
    let inChannels: Int
    let outChannels: Int
    let groups: Int
    let groupIn: Int
    let groupOut: Int
    /// Window axes with the roles swapped (see `col2imAdd`): `input` is Y's extent,
    /// `output` is X's.
    let h: WindowAxis
    let w: WindowAxis
    /// Input positions per GEMM + col2im tile.
    let tile: Int
    /// W_g^T per group in the GEMM kernel's layout; scratch offsets of the GEMM's packed
    /// right operand and of W packed per run (when W is not a constant).
    let left: PackedOperand
    let gemmScratch: Int
    let leftScratch: Int

    public let scratchFloats: Int
    public let flops: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        let params = try ConvParams(op)
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 2, optional: 1)
        activation = params.activation
        guard let xt = inputs[0], let wt = inputs[1] else {
            throw EdgeError(.format, "op '\(op.name)': missing X or W")
        }
        let bt = inputs.count > 2 ? inputs[2] : nil
        let yt = outputs[0]
        try SizeCheck.tensor(xt, rank: 4, op: op, tensor: "X")
        try SizeCheck.tensor(wt, rank: 4, op: op, tensor: "W")
        try SizeCheck.tensor(yt, rank: 4, op: op, tensor: "Y")

        let win = params.window
        let n = xt.shape[0], c = xt.shape[1]
        let g = try SizeCheck.attribute(params.group, min: 1, op: op, what: "group")
        guard c % g == 0 else {
            throw EdgeError(.shape, "op '\(op.name)': group \(g) does not divide the \(c) input channels")
        }
        let m = try SizeCheck.multiply(wt.shape[1], g, op: op, what: "output channels")
        h = try WindowAxis(input: yt.shape[2], output: xt.shape[2], kernel: win.kernelH, stride: win.strideH,
                           dilation: win.dilationH, padBefore: win.padTop, padAfter: win.padBottom, axis: "H", op: op)
        w = try WindowAxis(input: yt.shape[3], output: xt.shape[3], kernel: win.kernelW, stride: win.strideW,
                           dilation: win.dilationW, padBefore: win.padLeft, padAfter: win.padRight, axis: "W", op: op)
        try SizeCheck.same(wt.shape, c, m / g, h.kernel, w.kernel, op: op, what: "W's shape")
        try SizeCheck.same(Array(yt.shape[0..<2]), [n, m], op: op, what: "Y's batch and channels")
        for axis in [h, w] {
            // ONNX: out = stride * (in - 1) + output_padding + span - pads, with
            // 0 <= output_padding < max(stride, dilation).
            // In Int64: stride * (in - 1) may exceed a 32-bit Int before it is rejected.
            let natural = Int64(axis.stride) * Int64(axis.output - 1) + Int64(axis.span)
                - Int64(axis.padBefore) - Int64(axis.padAfter)
            let extra = Int64(axis.input) - natural
            guard natural >= 1, extra >= 0, extra < Int64(Swift.max(axis.stride, axis.dilation)) else {
                throw EdgeError(.shape, "op '\(op.name)': Y's shape \(SizeCheck.describe(yt.shape)) does not follow "
                    + "from X \(SizeCheck.describe(xt.shape)), kernel, stride, dilation and pads")
            }
        }
        try SizeCheck.vector(bt, m, op: op, tensor: "B")

        x = xt.data
        weights = wt.data
        bias = bt?.data
        y = yt.data
        batch = n
        inChannels = c
        outChannels = m
        groups = g
        groupIn = c / g
        groupOut = m / g
        let taps = h.kernel * w.kernel
        let colRows = try SizeCheck.multiply(groupOut, taps, op: op, what: "column rows")
        let inPlane = h.output * w.output
        tile = Swift.min(inPlane, Swift.max(ConvLayer.im2colTileFloats / colRows, ConvLayer.im2colMinTile))
        let columns = try SizeCheck.multiply(colRows, tile, op: op, what: "column scratch")
        let kernel = GemmKernel.best
        // W_g^T: element (r, p) of group g at W[(g * Cg + p) * colRows + r].
        left = try PackedOperand(kernel: kernel, source: wt.data, constant: wt.isConstant, rows: colRows,
                                 depth: groupIn, rowStride: 1, depthStride: colRows,
                                 count: g, itemStride: groupIn * colRows)
        gemmScratch = columns
        leftScratch = columns + packedGemmScratch(kernel, n: tile, depth: groupIn)
        scratchFloats = leftScratch + left.scratchFloats
        // Every input pixel meets every tap of its group's Mg output channels.
        flops = SizeCheck.flops(2, n * c * h.output * w.output, colRows)
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let inPlane = h.output * w.output
        let outPlane = h.input * w.input
        let colRows = groupOut * h.kernel * w.kernel
        for b in 0..<batch {
            let yb = y + b * outChannels * outPlane
            for oc in 0..<outChannels {
                var bv: Float = 0
                if let bias = bias { bv = bias[oc] }
                let plane = yb + oc * outPlane
                for i in 0..<outPlane { plane[i] = bv }
            }
            for g in 0..<groups {
                let xg = x + (b * inChannels + g * groupIn) * inPlane
                let wg = left.item(g, scratch: scratch + leftScratch)
                var first = 0
                while first < inPlane {
                    let cols = Swift.min(tile, inPlane - first)
                    packedGemm(left.kernel, m: colRows, n: cols, depth: groupIn, left: wg,
                               right: xg + first, rowStride: inPlane, columnStride: 1, c: scratch, ldc: cols,
                               bias: nil, activation: .none, scratch: scratch + gemmScratch)
                    col2imAdd(scratch, channels: groupOut, h: h, w: w, first: first, count: cols,
                              into: yb + g * groupOut * outPlane)
                    first += cols
                }
            }
            activation.apply(yb, count: outChannels * outPlane)
        }
    }
}
