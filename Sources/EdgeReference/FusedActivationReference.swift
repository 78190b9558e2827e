import CEdgeSupport
import EdgeFormat

/// The fused activations of `ActivationKind`, one value at a time, written from their
/// ONNX definitions (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, x*Sigmoid(x),
/// Tanh). Evaluated in Double so the oracle's own rounding is negligible.
public enum FusedActivationReference {
    public static func apply(_ kind: ActivationKind, alpha: Float, beta: Float, _ value: Float) -> Float {
        let x = Double(value), a = Double(alpha), b = Double(beta)
        let r: Double
        switch kind {
        case .none: r = x
        case .relu: r = x > 0 ? x : 0
        case .clip: r = Swift.min(Swift.max(x, a), b)
        case .leakyRelu: r = x >= 0 ? x : a * x
        case .hardSigmoid: r = Swift.max(0, Swift.min(1, a * x + b))
        case .hardSwish: r = x * Swift.max(0, Swift.min(1, a * x + b))
        case .sigmoid: r = 1 / (1 + exp(-x))
        case .swish: r = x / (1 + exp(-x))
        case .tanh: r = tanh(x)
        }
        return Float(r)
    }

    public static func apply(_ kind: ActivationKind, alpha: Float, beta: Float, _ values: [Float]) -> [Float] {
        values.map { apply(kind, alpha: alpha, beta: beta, $0) }
    }
}
