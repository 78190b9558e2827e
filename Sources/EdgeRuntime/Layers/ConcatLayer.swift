import CEdgeSupport
import EdgeFormat

/// Concatenation along one axis: for each index of the dims before the axis, every input
/// contributes one contiguous block (its axis length times the size of the dims after),
/// so the whole op is `outer * inputs` memcpys.
public final class ConcatLayer: LayerKernel {
    let sources: KernelTable<UnsafePointer<Float>>
    /// Per input: floats per outer index.
    let blocks: KernelTable<Int>
    let y: UnsafeMutablePointer<Float>
    let outer: Int
    /// Floats of Y per outer index (the sum of `blocks`).
    let outBlock: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        guard !inputs.isEmpty else { throw EdgeError(.format, "op '\(op.name)': concat needs at least one input") }
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: inputs.count)
        let axis = try AxisParams(op).axis
        let ty = outputs[0]
        let rank = ty.shape.count
        try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        guard axis >= 0, axis < Int64(rank) else {
            throw EdgeError(.format, "op '\(op.name)': axis \(axis) is out of range for rank \(rank)")
        }
        let ax = Int(axis)
        let inner = Strides.product(ty.shape, ax + 1..<rank)
        var total = 0
        var pointers: [UnsafePointer<Float>] = []
        var blocks: [Int] = []
        for (i, input) in inputs.enumerated() {
            let t = input!
            try SizeCheck.count(t.shape, op: op, tensor: "input \(i)")
            var ok = t.shape.count == rank
            if ok { for d in 0..<rank where d != ax && t.shape[d] != ty.shape[d] { ok = false } }
            guard ok else {
                throw EdgeError(.shape, "op '\(op.name)': input \(i) \(SizeCheck.describe(t.shape)) does not "
                    + "fit Y \(SizeCheck.describe(ty.shape)) on axis \(ax)")
            }
            total += t.shape[ax]
            pointers.append(UnsafePointer(t.data))
            blocks.append(t.shape[ax] * inner)
        }
        guard total == ty.shape[ax] else {
            throw EdgeError(.shape, "op '\(op.name)': inputs add up to \(total) on axis \(ax), Y has \(ty.shape[ax])")
        }
        sources = KernelTable(pointers)
        self.blocks = KernelTable(blocks)
        y = ty.data
        outer = Strides.product(ty.shape, 0..<ax)
        outBlock = total * inner
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { 0 }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let n = sources.count
        for o in 0..<outer {
            var dst = y + o * outBlock
            for i in 0..<n {
                let len = blocks[i]
                let src = sources[i] + o * len
                // An input the memory planner already placed inside Y needs no copy.
                if src != UnsafePointer(dst) { memmove(dst, src, len * MemoryLayout<Float>.stride) }
                dst += len
            }
        }
    }
}
