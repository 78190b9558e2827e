import CEdgeSupport
import EdgeFormat

/// Reshape-like ops the memory planner could not alias: the bytes move unchanged.
/// X and Y may be the same buffer (then there is nothing to do) or even overlap.
public final class CopyLayer: LayerKernel {
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let count: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        _ = try NoParams(op)
        let tx = inputs[0]!, ty = outputs[0]
        count = try SizeCheck.count(tx.shape, op: op, tensor: "X")
        let yCount = try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        guard yCount == count else {
            throw EdgeError(.shape, "op '\(op.name)': X \(SizeCheck.describe(tx.shape)) and Y "
                + "\(SizeCheck.describe(ty.shape)) differ in element count")
        }
        x = UnsafePointer(tx.data)
        y = ty.data
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { 0 }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        if UnsafePointer(y) != x { memmove(y, x, count * MemoryLayout<Float>.stride) }
    }
}
