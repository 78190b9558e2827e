import Foundation
import EdgeFormat

/// Scalar evaluation of what the runtime applies per element, for channels whose value is
/// a known constant (a zero filter gives act(bias) everywhere).
enum ChannelMath {
    static func apply(_ a: FusedActivation?, _ x: Float) -> Float {
        a?.apply(x) ?? x
    }

    static func name(_ a: FusedActivation) -> String {
        switch a.kind {
        case .none: return "Identity"
        case .relu: return "Relu"
        case .clip: return "Clip"
        case .leakyRelu: return "LeakyRelu"
        case .hardSigmoid: return "HardSigmoid"
        case .hardSwish: return "HardSwish"
        case .sigmoid: return "Sigmoid"
        case .swish: return "Swish"
        case .tanh: return "Tanh"
        }
    }

    /// A unary ONNX op on a constant; nil when unknown or not finite.
    static func unary(_ node: Node, _ x: Float) -> Float? {
        let y: Float
        switch node.opType {
        case "Identity", "Dropout", "Cast": y = x
        case "Neg": y = -x
        case "Abs": y = abs(x)
        case "Sqrt": y = sqrtf(x)
        case "Exp": y = expf(x)
        case "Log": y = logf(x)
        case "Reciprocal": y = 1 / x
        case "Floor": y = x.rounded(.down)
        case "Ceil": y = x.rounded(.up)
        case "Round": y = x.rounded(.toNearestOrEven)
        case "Sign": y = x > 0 ? 1 : (x < 0 ? -1 : 0)
        case "Erf": y = erff(x)
        case "Softplus": y = logf(1 + expf(x))
        case "Elu": y = x >= 0 ? x : node.float("alpha", 1) * (expf(x) - 1)
        case "Selu":
            let alpha = node.float("alpha", 1.67326319217681884765625), gamma = node.float("gamma", 1.05070102214813232421875)
            y = gamma * (x > 0 ? x : alpha * (expf(x) - 1))
        default: return nil
        }
        return y.isFinite ? y : nil
    }

    /// An elementwise n-ary op over per-channel values (nil = not a known constant).
    static func elementwise(_ op: String, _ values: [Float?]) -> Float? {
        guard let first = values.first else { return nil }
        switch op {
        case "Mul":
            if values.contains(where: { $0 == 0 }) { return 0 }
        case "Div":
            // 0 / y = 0 for every non-zero y; a zero numerator stays zero.
            if first == 0, values.count == 2, values[1] != 0 { return 0 }
        case "PRelu":
            // x >= 0 ? x : slope * x: zero stays zero whatever the slope.
            if first == 0 { return 0 }
            guard values.count == 2, let x = first, let slope = values[1] else { return nil }
            return x >= 0 ? x : slope * x
        default:
            break
        }
        guard values.allSatisfy({ $0 != nil }) else { return nil }
        let v = values.map { $0! }
        var acc = v[0]
        for b in v.dropFirst() {
            switch op {
            case "Add", "Sum", "Mean": acc += b
            case "Sub": acc -= b
            case "Mul": acc *= b
            case "Div": acc /= b
            case "Pow": acc = powf(acc, b)
            case "Max": acc = max(acc, b)
            case "Min": acc = min(acc, b)
            default: return nil
            }
        }
        if op == "Mean" { acc /= Float(v.count) }
        return acc.isFinite ? acc : nil
    }

    /// The elementwise ops the pruning cost model counts (channel rules: OnnxOps.table).
    static let elementwiseOps: Set<String> = ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu"]
}
