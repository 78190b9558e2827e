import CEdgeSupport
import EdgeFormat

/// ONNX MaxPool (2-D, NCHW, dilation, asymmetric pads; `ceil_mode` resolved in Y's shape).
///
/// Record: in [X] out [Y];
/// ints [kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight].
/// Padding never wins a max. A window clipped by the end of the input (ceil mode) takes
/// the max of what remains.
///
/// Stride-2 pools 2 or 3 wide (ResNet's stem, the classic 2×2/2) take a SIMD path over a
/// row buffer in scratch (`MaxPoolStride2`); the rest the generic per-tap loops.
public struct MaxPoolLayer: LayerKernel {
    let x: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let planes: Int
    let h: WindowAxis
    let w: WindowAxis
    let tapLo: [Int]
    let tapHi: [Int]

    /// The stride-2 SIMD path, if it applies.
    let fast: MaxPoolStride2?

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
        fast = MaxPoolStride2.applies(h: h, w: w) ? MaxPoolStride2(h: h, w: w) : nil
        flops = SizeCheck.flops([yt.count, h.kernel, w.kernel])
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let inPlane = h.input * w.input, outPlane = h.output * w.output
        if let fast = fast {
            for p in 0..<planes {
                fast.run(x + p * inPlane, row: scratch, into: y + p * outPlane)
            }
            return
        }
        for p in 0..<planes {
            maxPoolPlane(x + p * inPlane, h: h, w: w, tapLo: tapLo, tapHi: tapHi, into: y + p * outPlane)
        }
    }
}
