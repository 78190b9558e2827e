import CEdgeSupport
import EdgeFormat

/// Split along one axis, the mirror of Concat: for each index of the dims before the
/// axis, every output receives one contiguous block. Part sizes come from the outputs'
/// shapes.
public final class SplitLayer: LayerKernel {
    let destinations: KernelTable<UnsafeMutablePointer<Float>>
    /// Per output: floats per outer index.
    let blocks: KernelTable<Int>
    let x: UnsafePointer<Float>
    let outer: Int
    /// Floats of X per outer index (the sum of `blocks`).
    let inBlock: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        guard !outputs.isEmpty else { throw EdgeError(.format, "op '\(op.name)': split needs at least one output") }
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1, outputCount: outputs.count)
        let axis = try AxisParams(op).axis
        let tx = inputs[0]!
        let rank = tx.shape.count
        try SizeCheck.count(tx.shape, op: op, tensor: "X")
        guard axis >= 0, axis < Int64(rank) else {
            throw EdgeError(.format, "op '\(op.name)': axis \(axis) is out of range for rank \(rank)")
        }
        let ax = Int(axis)
        let inner = Strides.product(tx.shape, ax + 1..<rank)
        var total = 0
        var pointers: [UnsafeMutablePointer<Float>] = []
        var blocks: [Int] = []
        for (i, t) in outputs.enumerated() {
            try SizeCheck.count(t.shape, op: op, tensor: "output \(i)")
            var ok = t.shape.count == rank
            if ok { for d in 0..<rank where d != ax && t.shape[d] != tx.shape[d] { ok = false } }
            guard ok else {
                throw EdgeError(.shape, "op '\(op.name)': output \(i) \(SizeCheck.describe(t.shape)) does not "
                    + "fit X \(SizeCheck.describe(tx.shape)) on axis \(ax)")
            }
            total += t.shape[ax]
            pointers.append(t.data)
            blocks.append(t.shape[ax] * inner)
        }
        guard total == tx.shape[ax] else {
            throw EdgeError(.shape, "op '\(op.name)': outputs add up to \(total) on axis \(ax), X has \(tx.shape[ax])")
        }
        destinations = KernelTable(pointers)
        self.blocks = KernelTable(blocks)
        x = UnsafePointer(tx.data)
        outer = Strides.product(tx.shape, 0..<ax)
        inBlock = total * inner
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { 0 }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let n = destinations.count
        for o in 0..<outer {
            var src = x + o * inBlock
            for i in 0..<n {
                let len = blocks[i]
                let dst = destinations[i] + o * len
                // An output the memory planner aliased onto its part of X needs no copy.
                if UnsafePointer(dst) != src { memmove(dst, src, len * MemoryLayout<Float>.stride) }
                src += len
            }
        }
    }
}
