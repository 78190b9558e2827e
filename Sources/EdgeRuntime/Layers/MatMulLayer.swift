import CEdgeSupport
import EdgeFormat

/// ONNX MatMul (numpy semantics, both operands of rank >= 2) with a fused activation.
///
/// Record: in [A, B] out [Y]; ints [act]; floats [alpha, beta] of the activation.
/// A is [..., M, K], B is [..., K, N], Y is [..., M, N]; the batch dims broadcast (a dim
/// of 1, or a missing leading dim, repeats). Each batch item is one GEMM on Edge's packed
/// SGEMM (A packed into scratch per item, B per block); the operands' offsets per item are
/// worked out at load into two tables, so `run` is a flat loop.
///
/// When B has no batch (the common "activations × weight matrix" case) and A is not
/// broadcast, the batch folds into M: A is then one [batch*M, K] matrix and a single
/// large GEMM replaces many small ones.
public final class MatMulLayer: LayerKernel {
    let a: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let activation: Activation
    let m: Int
    let n: Int
    let k: Int
    /// Element offsets into A and B of every batch item (Y's items are contiguous).
    let aOffsets: [Int]
    let bOffsets: [Int]
    /// Rows of the single folded GEMM, or 0 when items run one by one.
    let foldedRows: Int
    let kernel: UnsafePointer<edge_gemm_kernel>
    /// Scratch offset of the packed A (after the GEMM's own packed-B block).
    let leftScratch: Int

    public let scratchFloats: Int
    public let flops: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        let params = try ActivationParams(op)
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 2)
        activation = params.activation
        guard let at = inputs[0], let bt = inputs[1] else {
            throw EdgeError(.format, "op '\(op.name)': missing A or B")
        }
        let yt = outputs[0]
        let ra = at.shape.count, rb = bt.shape.count, ry = yt.shape.count
        guard ra >= 2, rb >= 2 else {
            throw EdgeError(.shape, "op '\(op.name)': A \(SizeCheck.describe(at.shape)) and B "
                + "\(SizeCheck.describe(bt.shape)) must have rank >= 2")
        }
        try SizeCheck.count(at.shape, op: op, tensor: "A")
        try SizeCheck.count(bt.shape, op: op, tensor: "B")
        try SizeCheck.count(yt.shape, op: op, tensor: "Y")
        m = at.shape[ra - 2]
        k = at.shape[ra - 1]
        n = bt.shape[rb - 1]
        guard bt.shape[rb - 2] == k else {
            throw EdgeError(.shape, "op '\(op.name)': inner dims differ: A \(SizeCheck.describe(at.shape)), "
                + "B \(SizeCheck.describe(bt.shape))")
        }
        guard ry == Swift.max(ra, rb), yt.shape[ry - 2] == m, yt.shape[ry - 1] == n else {
            throw EdgeError(.shape, "op '\(op.name)': Y \(SizeCheck.describe(yt.shape)) does not match "
                + "A \(SizeCheck.describe(at.shape)) x B \(SizeCheck.describe(bt.shape))")
        }

        // Batch dims, right-aligned; a missing dim is 1. Strides are 0 where an operand
        // broadcasts, so walking Y's batch index gives each operand's offset directly.
        let batchRank = ry - 2
        var aStride = [Int](repeating: 0, count: batchRank)
        var bStride = [Int](repeating: 0, count: batchRank)
        var batchDims = [Int](repeating: 1, count: batchRank)
        var sa = m * k, sb = k * n
        var aBatch = 1, bBatch = 1
        var d = batchRank - 1
        while d >= 0 {
            let ia = d - (ry - ra), ib = d - (ry - rb)
            let da = ia >= 0 ? at.shape[ia] : 1
            let db = ib >= 0 ? bt.shape[ib] : 1
            let dy = yt.shape[d]
            guard (da == dy || da == 1) && (db == dy || db == 1) && (da == dy || db == dy) else {
                throw EdgeError(.shape, "op '\(op.name)': batch dims of A \(SizeCheck.describe(at.shape)) and "
                    + "B \(SizeCheck.describe(bt.shape)) do not broadcast to Y \(SizeCheck.describe(yt.shape))")
            }
            batchDims[d] = dy
            if da != 1 { aStride[d] = sa }
            if db != 1 { bStride[d] = sb }
            sa *= da; sb *= db           // bounded by A's and B's counts
            aBatch *= da; bBatch *= db
            d -= 1
        }
        let batch = yt.count / (m * n)

        a = at.data
        b = bt.data
        y = yt.data
        if bBatch == 1 && aBatch == batch {
            foldedRows = batch * m
            aOffsets = []
            bOffsets = []
        } else {
            foldedRows = 0
            var ao: [Int] = [], bo: [Int] = []
            ao.reserveCapacity(batch)
            bo.reserveCapacity(batch)
            var index = [Int](repeating: 0, count: batchRank)
            for _ in 0..<batch {
                var oa = 0, ob = 0
                for i in 0..<batchRank {
                    oa += index[i] * aStride[i]
                    ob += index[i] * bStride[i]
                }
                ao.append(oa)
                bo.append(ob)
                // Odometer increment, last dim fastest (row-major order of Y).
                var j = batchRank - 1
                while j >= 0 {
                    index[j] += 1
                    if index[j] < batchDims[j] { break }
                    index[j] = 0
                    j -= 1
                }
            }
            aOffsets = ao
            bOffsets = bo
        }
        kernel = GemmKernel.best
        let rows = foldedRows > 0 ? foldedRows : m
        leftScratch = packedGemmScratch(kernel, n: n, depth: k)
        scratchFloats = leftScratch + Int(edge_gemm_packed_floats(kernel, rows, k))
        flops = SizeCheck.flops(2, yt.count, k)
    }

    @inline(__always)
    func multiply(rows: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                  scratch: UnsafeMutablePointer<Float>) {
        let packed = scratch + leftScratch
        edge_gemm_pack_left(kernel, a, k, 1, rows, k, packed)
        packedGemm(kernel, m: rows, n: n, depth: k, left: packed, right: b, rowStride: n, columnStride: 1,
                   c: y, ldc: n, bias: nil, activation: activation, scratch: scratch)
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        if foldedRows > 0 {
            multiply(rows: foldedRows, a: a, b: b, y: y, scratch: scratch)
            return
        }
        for i in 0..<aOffsets.count {
            multiply(rows: m, a: a + aOffsets[i], b: b + bOffsets[i], y: y + i * m * n, scratch: scratch)
        }
    }
}
