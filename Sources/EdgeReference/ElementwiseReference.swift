import CEdgeSupport
import EdgeFormat

// Reference elementwise ops: one output element at a time, multi-index arithmetic
// spelled out, math in Double. Slow and obvious on purpose.

/// The numpy broadcast shape of `a` and `b`, or nil if they do not broadcast.
public func referenceBroadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out: [Int] = []
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if da == db || db == 1 {
            out.append(da)
        } else if da == 1 {
            out.append(db)
        } else {
            return nil
        }
    }
    return out
}

/// `a op b` with numpy broadcasting; the result has `referenceBroadcastShape(aShape, bShape)`.
public func referenceBinary(_ kind: BinaryKind, _ a: [Float], _ aShape: [Int],
                            _ b: [Float], _ bShape: [Int]) -> [Float] {
    guard let shape = referenceBroadcastShape(aShape, bShape) else {
        fatalError("referenceBinary: shapes do not broadcast")
    }
    let rank = shape.count
    var count = 1
    for d in shape { count *= d }
    var result = [Float](repeating: 0, count: count)
    for flat in 0..<count {
        // Output multi-index, last dim fastest.
        var index = [Int](repeating: 0, count: rank)
        var rest = flat
        var d = rank - 1
        while d >= 0 {
            index[d] = rest % shape[d]
            rest /= shape[d]
            d -= 1
        }
        let va = a[elementwiseSourceOffset(index, aShape)]
        let vb = b[elementwiseSourceOffset(index, bShape)]
        result[flat] = referenceBinaryScalar(kind, va, vb)
    }
    return result
}

/// Offset in an operand of `shape` (right-aligned, size-1 dims broadcast) of an output index.
private func elementwiseSourceOffset(_ index: [Int], _ shape: [Int]) -> Int {
    let skip = index.count - shape.count
    var offset = 0
    for d in 0..<shape.count {
        let i = shape[d] == 1 ? 0 : index[skip + d]
        offset = offset * shape[d] + i
    }
    return offset
}

public func referenceBinaryScalar(_ kind: BinaryKind, _ a: Float, _ b: Float) -> Float {
    let x = Double(a), y = Double(b)
    switch kind {
    case .add: return Float(x + y)
    case .sub: return Float(x - y)
    case .mul: return Float(x * y)
    case .div: return Float(x / y)
    case .pow: return Float(pow(x, y))
    case .max: return x.isNaN || y.isNaN ? .nan : Float(x > y ? x : y)
    case .min: return x.isNaN || y.isNaN ? .nan : Float(x < y ? x : y)
    case .prelu: return Float(x >= 0 ? x : x * y)
    }
}

/// `f(x)` elementwise; `alpha`, `beta` as in the op record (`powScalar`: x ^ alpha).
public func referenceUnary(_ kind: UnaryKind, _ x: [Float], alpha: Float, beta: Float) -> [Float] {
    x.map { referenceUnaryScalar(kind, $0, alpha: alpha, beta: beta) }
}

public func referenceUnaryScalar(_ kind: UnaryKind, _ value: Float, alpha: Float, beta: Float) -> Float {
    let x = Double(value), a = Double(alpha), b = Double(beta)
    let r: Double
    switch kind {
    case .relu: r = max(x, 0)
    case .clip: r = min(max(x, a), b)
    case .leakyRelu: r = x >= 0 ? x : a * x
    case .hardSigmoid: r = max(0, min(1, a * x + b))
    case .hardSwish: r = x * max(0, min(1, a * x + b))
    case .sigmoid: r = 1 / (1 + exp(-x))
    case .swish: r = x / (1 + exp(-x))
    case .tanh: r = tanh(x)
    case .sqrt: r = sqrt(x)
    case .exp: r = exp(x)
    case .log: r = log(x)
    case .neg: r = -x
    case .abs: r = Swift.abs(x)
    case .reciprocal: r = 1 / x
    case .powScalar: r = pow(x, a)
    case .elu: r = x >= 0 ? x : a * (exp(x) - 1)
    case .selu: r = b * (x > 0 ? x : a * (exp(x) - 1))
    case .softplus: r = log(1 + exp(x))
    }
    return Float(r)
}

/// The fused activation of an op record, as a reference: `ActivationKind` values 1...8
/// are `UnaryKind`s with the same raw value; `.none` is the identity.
public func referenceActivation(_ kind: ActivationKind, _ x: [Float], alpha: Float, beta: Float) -> [Float] {
    x.map { referenceActivation(kind, alpha: alpha, beta: beta, value: $0) }
}

/// One value: the kernels' epilogues (conv, gemm, matmul, channel affine) apply this.
public func referenceActivation(_ kind: ActivationKind, alpha: Float, beta: Float, value: Float) -> Float {
    guard let unary = UnaryKind(rawValue: kind.rawValue) else { return value }
    return referenceUnaryScalar(unary, value, alpha: alpha, beta: beta)
}
