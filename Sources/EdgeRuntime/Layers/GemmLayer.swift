import CEdgeSupport
import EdgeFormat

/// ONNX Gemm as the compiler stores it: `Y = act(A' * B^T + C)` with `A' = transA ? A^T : A`.
///
/// Record: in [A, B, C?] out [Y]; ints [act, transA]; floats [alpha, beta] of the activation.
/// B is pre-packed as [N, K] (the layout of a fully-connected weight); ONNX's alpha and
/// beta are already folded into B and C.
///
/// Runs on Edge's packed SGEMM as the transposed product `Y^T[N, M] = B[N, K] * A'^T`, so
/// the weight B is the left operand, packed once at load (per run into scratch when B is
/// not a constant); one row of A (a classifier on one sample) is a gemv over B's rows.
/// C is broadcast: 1 element (scalar), N (a row added to every row), M*N (full), and,
/// going beyond the contract at no cost, an [M, 1] column.
///
/// C is copied into Y first so the GEMM adds to it (`beta = 1`): one pass instead of a
/// separate bias pass after.
public final class GemmLayer: LayerKernel {
    enum Bias { case none, scalar, row, column, full }

    let a: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>
    let c: UnsafeMutablePointer<Float>?
    let y: UnsafeMutablePointer<Float>
    let activation: Activation
    let transA: Bool
    let m: Int
    let n: Int
    let k: Int
    let biasMode: Bias
    /// B in the GEMM kernel's layout (unused when m == 1).
    let left: PackedOperand
    let leftScratch: Int

    public let scratchFloats: Int
    public let flops: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        let params = try GemmParams(op)
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 2, optional: 1)
        activation = params.activation
        guard let at = inputs[0], let bt = inputs[1] else {
            throw EdgeError(.format, "op '\(op.name)': missing A or B")
        }
        let ct = inputs.count > 2 ? inputs[2] : nil
        let yt = outputs[0]
        try SizeCheck.tensor(at, rank: 2, op: op, tensor: "A")
        try SizeCheck.tensor(bt, rank: 2, op: op, tensor: "B")
        try SizeCheck.tensor(yt, rank: 2, op: op, tensor: "Y")
        transA = params.transA
        m = transA ? at.shape[1] : at.shape[0]
        k = transA ? at.shape[0] : at.shape[1]
        n = bt.shape[0]
        guard bt.shape[1] == k else {
            throw EdgeError(.shape, "op '\(op.name)': B must be packed as [N, K] with K = \(k), is "
                + SizeCheck.describe(bt.shape))
        }
        try SizeCheck.same(yt.shape, [m, n], op: op, what: "Y's shape")

        if let ct = ct {
            let count = try SizeCheck.count(ct.shape, op: op, tensor: "C")
            if count == m * n {
                biasMode = .full
            } else if ct.shape.count == 2 && ct.shape[0] == m && ct.shape[1] == 1 {
                biasMode = .column
            } else if count == n {
                biasMode = .row
            } else if count == 1 {
                biasMode = .scalar
            } else {
                throw EdgeError(.shape, "op '\(op.name)': C \(SizeCheck.describe(ct.shape)) must hold 1, N = \(n) "
                    + "or M*N = \(m * n) elements")
            }
        } else {
            biasMode = .none
        }

        a = at.data
        b = bt.data
        c = ct?.data
        y = yt.data
        let kernel = GemmKernel.best
        left = try PackedOperand(kernel: kernel, source: bt.data, constant: bt.isConstant && m > 1,
                                 rows: n, depth: k, rowStride: k, depthStride: 1)
        leftScratch = m > 1 ? packedGemmScratch(kernel, n: m, depth: k) : 0
        scratchFloats = m > 1 ? leftScratch + left.scratchFloats : 0
        flops = SizeCheck.flops(2, m * n, k)
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        var beta: Float = 1
        switch biasMode {
        case .none:
            beta = 0
        case .scalar:
            let v = c.unsafelyUnwrapped[0]
            for i in 0..<(m * n) { y[i] = v }
        case .row:
            let src = c.unsafelyUnwrapped
            for r in 0..<m {
                let row = y + r * n
                for j in 0..<n { row[j] = src[j] }
            }
        case .column:
            let src = c.unsafelyUnwrapped
            for r in 0..<m {
                let row = y + r * n, v = src[r]
                for j in 0..<n { row[j] = v }
            }
        case .full:
            y.update(from: c.unsafelyUnwrapped, count: m * n)
        }
        if m == 1 {
            // A classifier on one sample: y = B a, B streamed once (packing would cost more).
            edge_gemv_rows(b, k, n, k, a, y, beta == 1 ? 1 : 0)
        } else {
            // Y^T = B * A'^T: A'^T's element (p, j) is A'[j, p].
            packedGemm(left.kernel, m: n, n: m, depth: k, left: left.item(0, scratch: scratch + leftScratch),
                       right: a, rowStride: transA ? m : 1, columnStride: transA ? 1 : k,
                       c: y, ldc: 1, columnStrideC: n, bias: nil, activation: .none, accumulate: beta == 1,
                       scratch: scratch)
        }
        activation.apply(y, count: m * n)
    }
}
