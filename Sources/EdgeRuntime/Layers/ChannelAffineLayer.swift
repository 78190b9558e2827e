import CEdgeSupport
import EdgeFormat

/// `Y = act(X * scale[c] + shift[c])` over axis 1: a BatchNormalization the compiler could
/// not fold into a preceding Conv/Gemm, already reduced to one multiply-add per element.
///
/// Record: in [X, scale, shift] out [Y]; ints [act]; floats [alpha, beta] of the activation.
/// X has rank >= 2 ([N, C, ...]); scale and shift hold C elements each. Y may be X itself
/// (the planner may run it in place): each element is read before it is written.
public final class ChannelAffineLayer: LayerKernel {
    let x: UnsafeMutablePointer<Float>
    let scale: UnsafeMutablePointer<Float>
    let shift: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let activation: Activation
    let batch: Int
    let channels: Int
    /// Elements per (n, c) plane.
    let inner: Int

    public var scratchFloats: Int { 0 }
    public let flops: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        let params = try ActivationParams(op)
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 3)
        activation = params.activation
        guard let xt = inputs[0], let st = inputs[1], let bt = inputs[2] else {
            throw EdgeError(.format, "op '\(op.name)': missing X, scale or shift")
        }
        let yt = outputs[0]
        guard xt.shape.count >= 2 else {
            throw EdgeError(.shape, "op '\(op.name)': X \(SizeCheck.describe(xt.shape)) must have rank >= 2")
        }
        let count = try SizeCheck.count(xt.shape, op: op, tensor: "X")
        try SizeCheck.same(yt.shape, xt.shape, op: op, what: "Y's shape")
        let c = xt.shape[1]
        let sc = try SizeCheck.count(st.shape, op: op, tensor: "scale")
        let bc = try SizeCheck.count(bt.shape, op: op, tensor: "shift")
        guard sc == c, bc == c else {
            throw EdgeError(.shape, "op '\(op.name)': scale and shift need \(c) elements each, have \(sc) and \(bc)")
        }
        x = xt.data
        scale = st.data
        shift = bt.data
        y = yt.data
        batch = xt.shape[0]
        channels = c
        inner = count / (batch * c)
        flops = SizeCheck.flops(2, count)
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            for c in 0..<channels {
                let offset = (b * channels + c) * inner
                activation.affine(x + offset, y + offset, count: inner, scale: scale[c], shift: shift[c])
            }
        }
    }
}
