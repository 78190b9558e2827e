import CEdgeSupport
import EdgeFormat

/// Softmax along one axis (opset 13): `y = exp(x - max) / sum(exp(x - max))`, the max
/// taken along the axis so `expf` never overflows. Y may be X's buffer.
///
/// X is viewed as `[outer, n, inner]`. With `inner == 1` (the usual last-axis case)
/// each row is contiguous. Otherwise the axis is strided; rather than walking it once
/// per inner position (a cache miss per element), the pass runs over whole `inner`
/// rows, keeping the running max and sum of every inner position in scratch.
public final class SoftmaxLayer: LayerKernel {
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let outer: Int, n: Int, inner: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        let axis = try AxisParams(op).axis
        let tx = inputs[0]!, ty = outputs[0]
        let rank = tx.shape.count
        try SizeCheck.count(tx.shape, op: op, tensor: "X")
        try SizeCheck.same(ty.shape, tx.shape, op: op, what: "Y")
        guard axis >= 0, axis < Int64(rank) else {
            throw EdgeError(.format, "op '\(op.name)': axis \(axis) is out of range for rank \(rank)")
        }
        let ax = Int(axis)
        outer = Strides.product(tx.shape, 0..<ax)
        n = tx.shape[ax]
        inner = Strides.product(tx.shape, ax + 1..<rank)
        x = UnsafePointer(tx.data)
        y = ty.data
    }

    public var scratchFloats: Int { inner > 1 ? 2 * inner : 0 }
    /// Subtract, exp, add, multiply per element, roughly.
    public var flops: Int { 4 * outer * n * inner }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        if inner == 1 {
            for o in 0..<outer { row(x + o * n, y + o * n) }
        } else {
            for o in 0..<outer { strided(x + o * n * inner, y + o * n * inner, scratch) }
        }
    }

    private func row(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        var m = src[0]
        for i in 1..<n { m = Swift.max(m, src[i]) }
        // exp first, sum after: a serial sum inside the exp loop would keep it scalar.
        for i in 0..<n { dst[i] = src[i] - m }
        FusedActivation.lanes(dst, n, vectorExp) { expf($0) }
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var i = 0
        while i + 4 <= n {
            s0 += dst[i]; s1 += dst[i + 1]; s2 += dst[i + 2]; s3 += dst[i + 3]
            i += 4
        }
        while i < n { s0 += dst[i]; i += 1 }
        let r = 1 / ((s0 + s1) + (s2 + s3))
        for i in 0..<n { dst[i] *= r }
    }

    private func strided(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                         _ scratch: UnsafeMutablePointer<Float>) {
        let m = scratch, s = scratch + inner, k = inner
        for j in 0..<k { m[j] = src[j]; s[j] = 0 }
        for a in 1..<n {
            let r = src + a * k
            for j in 0..<k { m[j] = Swift.max(m[j], r[j]) }
        }
        for a in 0..<n {
            let r = src + a * k, d = dst + a * k
            for j in 0..<k { d[j] = r[j] - m[j] }
            FusedActivation.lanes(d, k, vectorExp) { expf($0) }
            for j in 0..<k { s[j] += d[j] }
        }
        for j in 0..<k { s[j] = 1 / s[j] }
        for a in 0..<n {
            let d = dst + a * k
            for j in 0..<k { d[j] *= s[j] }
        }
    }
}
