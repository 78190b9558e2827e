import CEdgeSupport
import EdgeFormat

/// ONNX AveragePool (2-D, NCHW, asymmetric pads, `ceil_mode` resolved in Y's shape).
///
/// Record: in [X] out [Y];
/// ints [kH, kW, strideH, strideW, padTop, padLeft, padBottom, padRight, countIncludePad].
/// Divisor of a window, as onnxruntime computes it: with count_include_pad = 0 the number
/// of real input elements in it; with 1 the window clipped to the input + pads region
/// (so a ceil-mode window hanging past the bottom/right pad does not count the overhang).
/// Both are separable into a per-row and a per-column count, precomputed here.
public final class AveragePoolLayer: LayerKernel {
    let x: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let planes: Int
    let h: WindowAxis
    let w: WindowAxis
    let tapLo: [Int]
    let tapHi: [Int]
    let rowDivisor: [Float]
    let colDivisor: [Float]

    public var scratchFloats: Int { 0 }
    public let flops: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        let params = try AveragePoolParams(op)
        let win = params.window
        let (xt, yt) = try SizeCheck.poolOperands(op, inputs: inputs, outputs: outputs)
        h = try WindowAxis(input: xt.shape[2], output: yt.shape[2], kernel: win.kernelH, stride: win.strideH,
                           dilation: 1, padBefore: win.padTop, padAfter: win.padBottom, axis: "H", op: op)
        w = try WindowAxis(input: xt.shape[3], output: yt.shape[3], kernel: win.kernelW, stride: win.strideW,
                           dilation: 1, padBefore: win.padLeft, padAfter: win.padRight, axis: "W", op: op)
        try h.validatePool(axis: "H", op: op)
        try w.validatePool(axis: "W", op: op)
        let includePad = params.countIncludePad
        rowDivisor = AveragePoolLayer.divisors(h, includePad: includePad)
        colDivisor = AveragePoolLayer.divisors(w, includePad: includePad)
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
        flops = SizeCheck.flops(yt.count, h.kernel, w.kernel)
    }

    /// Per-output element counts along one axis (> 0: `validatePool` guarantees overlap).
    static func divisors(_ a: WindowAxis, includePad: Bool) -> [Float] {
        var d: [Float] = []
        for o in 0..<a.output {
            let start = a.start(o)
            let end = start + a.kernel
            let count = includePad
                ? Swift.min(end, a.input + a.padAfter) - start
                : Swift.min(end, a.input) - Swift.max(start, 0)
            d.append(Float(count))
        }
        return d
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let inPlane = h.input * w.input, outPlane = h.output * w.output
        for p in 0..<planes {
            averagePoolPlane(x + p * inPlane, h: h, w: w, tapLo: tapLo, tapHi: tapHi,
                             rowDivisor: rowDivisor, colDivisor: colDivisor, into: y + p * outPlane)
        }
    }
}
