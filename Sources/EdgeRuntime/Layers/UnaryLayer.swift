import CEdgeSupport
import EdgeFormat

/// Elementwise `Y = f(X)`: the activations (kinds 1...8, shared with fused epilogues) and
/// Sqrt, Exp, Log, Neg, Abs, Reciprocal, Pow by a constant scalar. Y may be X's buffer.
public final class UnaryLayer: LayerKernel {
    public let kind: UnaryKind
    /// floats[0] (alpha; the exponent of `powScalar`) and floats[1] (beta).
    public let alpha: Float
    public let beta: Float
    let activation: Activation
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let count: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        let params = try UnaryParams(op)
        kind = params.kind
        alpha = params.alpha
        beta = params.beta
        let tx = inputs[0]!, ty = outputs[0]
        count = try SizeCheck.count(tx.shape, op: op, tensor: "X")
        let yCount = try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        guard yCount == count else {
            throw EdgeError(.shape, "op '\(op.name)': X \(SizeCheck.describe(tx.shape)) and Y "
                + "\(SizeCheck.describe(ty.shape)) differ in element count")
        }
        activation = params.activation ?? .none
        x = UnsafePointer(tx.data)
        y = ty.data
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { count }

    /// Copy-then-activate block: small enough to stay in L1 between the two passes.
    static let block = 2048

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let x = self.x, y = self.y, n = count
        switch kind {
        case .relu, .clip, .leakyRelu, .hardSigmoid, .hardSwish, .sigmoid, .swish, .tanh:
            if UnsafePointer(y) == x {
                activation.apply(y, count: n)
                return
            }
            var start = 0
            while start < n {
                let m = Swift.min(UnaryLayer.block, n - start)
                memmove(y + start, x + start, m * MemoryLayout<Float>.stride)
                activation.apply(y + start, count: m)
                start += m
            }
        case .sqrt:
            for i in 0..<n { y[i] = x[i].squareRoot() }
        case .exp:
            for i in 0..<n { y[i] = expf(x[i]) }
        case .log:
            for i in 0..<n { y[i] = logf(x[i]) }
        case .neg:
            for i in 0..<n { y[i] = -x[i] }
        case .abs:
            for i in 0..<n { y[i] = Swift.abs(x[i]) }
        case .reciprocal:
            for i in 0..<n { y[i] = 1 / x[i] }
        case .elu:
            let a = alpha
            for i in 0..<n { let v = x[i]; y[i] = v >= 0 ? v : a * (expf(v) - 1) }
        case .selu:
            let a = alpha, g = beta
            for i in 0..<n { let v = x[i]; y[i] = g * (v > 0 ? v : a * (expf(v) - 1)) }
        case .softplus:
            // log1p(exp(x)) overflows for large x, where it equals x.
            for i in 0..<n { let v = x[i]; y[i] = v > 20 ? v : log1pf(expf(v)) }
        case .powScalar:
            // The exponents models actually use get exact cheap forms; powf otherwise.
            let e = alpha
            if e == 2 {
                for i in 0..<n { let v = x[i]; y[i] = v * v }
            } else if e == 1 {
                if UnsafePointer(y) != x { memmove(y, x, n * MemoryLayout<Float>.stride) }
            } else if e == 0.5 {
                for i in 0..<n { y[i] = x[i].squareRoot() }
            } else if e == -1 {
                for i in 0..<n { y[i] = 1 / x[i] }
            } else {
                for i in 0..<n { y[i] = powf(x[i], e) }
            }
        }
    }
}
