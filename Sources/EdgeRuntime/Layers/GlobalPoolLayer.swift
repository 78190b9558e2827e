import CEdgeSupport
import EdgeFormat

/// ONNX GlobalAveragePool and GlobalMaxPool (the op's code says which): every (n, c)
/// plane of X, whatever its spatial rank, reduces to one value.
///
/// Record: in [X] out [Y]; no ints, no floats. X is [N, C, d1, ...] (rank >= 3),
/// Y is [N, C, 1, ...] of the same rank.
public final class GlobalPoolLayer: LayerKernel {
    let x: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let isMax: Bool
    /// N * C planes of `plane` elements each.
    let planes: Int
    let plane: Int

    public var scratchFloats: Int { 0 }
    public let flops: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        guard op.code == .globalAveragePool || op.code == .globalMaxPool else {
            throw EdgeError(.format, "op '\(op.name)': not a global pool")
        }
        _ = try NoParams(op)
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        guard let xt = inputs[0] else { throw EdgeError(.format, "op '\(op.name)': missing X") }
        let yt = outputs[0]
        guard xt.shape.count >= 3 else {
            throw EdgeError(.shape, "op '\(op.name)': X \(SizeCheck.describe(xt.shape)) must have rank >= 3")
        }
        let count = try SizeCheck.count(xt.shape, op: op, tensor: "X")
        // Y is [N, C, 1, ...]: compared in place, the expected shape built only for the message.
        var fits = yt.shape.count == xt.shape.count && yt.shape[0] == xt.shape[0] && yt.shape[1] == xt.shape[1]
        for d in 2..<xt.shape.count where fits { fits = yt.shape[d] == 1 }
        guard fits else {
            throw EdgeError(.shape, "op '\(op.name)': Y's shape is \(SizeCheck.describe(yt.shape)), expected "
                + SizeCheck.describe(Array(xt.shape[0..<2]) + [Int](repeating: 1, count: xt.shape.count - 2)))
        }
        x = xt.data
        y = yt.data
        isMax = op.code == .globalMaxPool
        planes = xt.shape[0] * xt.shape[1]
        plane = count / planes
        flops = count
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        if isMax {
            for p in 0..<planes { y[p] = planeMax(x + p * plane, count: plane) }
        } else {
            let divisor = Float(plane)
            for p in 0..<planes { y[p] = planeSum(x + p * plane, count: plane) / divisor }
        }
    }
}
