import EdgeFormat

/// `Y[i0, i1, ...] = X[start0 + i0*step0, start1 + i1*step1, ...]`; Y's shape gives the
/// counts, ints the (start, step) pair of every dim (ONNX Slice with its starts, ends,
/// axes and steps already resolved by the compiler). Y must not overlap X.
public final class SliceLayer: LayerKernel {
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let copy: StridedCopy

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        let tx = inputs[0]!, ty = outputs[0]
        let rank = tx.shape.count
        let params = try SliceParams(op, rank: rank)
        try SizeCheck.count(tx.shape, op: op, tensor: "X")
        try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        guard ty.shape.count == rank else {
            throw EdgeError(.shape, "op '\(op.name)': Y \(SizeCheck.describe(ty.shape)) and X "
                + "\(SizeCheck.describe(tx.shape)) differ in rank")
        }
        let xStrides = Strides.contiguous(tx.shape), yStrides = Strides.contiguous(ty.shape)
        var base = 0
        var dims: [LoopDim] = []
        for d in 0..<rank {
            let start = params.starts[d], step = params.steps[d], n = Int64(ty.shape[d]), size = Int64(tx.shape[d])
            // The last index read is start + (n-1)*step; both ends must lie inside X.
            let (span, overflow1) = (n - 1).multipliedReportingOverflow(by: step)
            let (last, overflow2) = start.addingReportingOverflow(span)
            guard step != 0, !overflow1, !overflow2, start >= 0, start < size, last >= 0, last < size else {
                throw EdgeError(.shape, "op '\(op.name)': dim \(d): \(n) elements from \(start) by step \(step) "
                    + "leave X's range 0..<\(size)")
            }
            base += Int(start) * xStrides[d]
            // With one element the step is never taken (and may be any value): use 1.
            // Otherwise |step| < size, so the stride product cannot overflow.
            let used = n == 1 ? 1 : Int(step)
            dims.append(LoopDim(count: Int(n), source: used * xStrides[d], destination: yStrides[d]))
        }
        x = UnsafePointer(tx.data) + base
        y = ty.data
        copy = StridedCopy(dims)
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { 0 }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        copy.run(x, y)
    }
}
