import CEdgeSupport
import EdgeFormat

/// A fused activation, applied in a producer's epilogue while its output is still in cache.
public struct Activation {
    public var kind: ActivationKind
    public var alpha: Float
    public var beta: Float

    public static let none = Activation(kind: .none, alpha: 0, beta: 0)

    public init(kind: ActivationKind, alpha: Float, beta: Float) {
        self.kind = kind
        self.alpha = alpha
        self.beta = beta
    }

    /// The activation a record carries (`FusedActivation`, decoded by the op's params).
    public init(_ a: FusedActivation) {
        self.init(kind: a.kind, alpha: a.alpha, beta: a.beta)
    }

    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch kind {
        case .none: return x
        case .relu: return x > 0 ? x : 0
        case .clip: return Swift.min(Swift.max(x, alpha), beta)
        case .leakyRelu: return x >= 0 ? x : alpha * x
        case .hardSigmoid: return Swift.max(0, Swift.min(1, alpha * x + beta))
        case .hardSwish: return x * Swift.max(0, Swift.min(1, alpha * x + beta))
        case .sigmoid: return Activation.sigmoid(x)
        case .swish: return x * Activation.sigmoid(x)
        case .tanh: return tanhf(x)
        }
    }

    /// Applies the activation in place; the switch sits outside the loop so each case
    /// is a tight loop the compiler can vectorize.
    public func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        switch kind {
        case .none:
            return
        case .relu:
            for i in 0..<count { let x = p[i]; p[i] = x > 0 ? x : 0 }
        case .clip:
            let lo = alpha, hi = beta
            for i in 0..<count { p[i] = Swift.min(Swift.max(p[i], lo), hi) }
        case .leakyRelu:
            let a = alpha
            for i in 0..<count { let x = p[i]; p[i] = x >= 0 ? x : a * x }
        case .hardSigmoid:
            let a = alpha, b = beta
            for i in 0..<count { p[i] = Swift.max(0, Swift.min(1, a * p[i] + b)) }
        case .hardSwish:
            let a = alpha, b = beta
            for i in 0..<count { let x = p[i]; p[i] = x * Swift.max(0, Swift.min(1, a * x + b)) }
        case .sigmoid:
            Activation.lanes(p, count, vectorSigmoid) { Activation.sigmoid($0) }
        case .swish:
            Activation.lanes(p, count, { $0 * vectorSigmoid($0) }) { $0 * Activation.sigmoid($0) }
        case .tanh:
            Activation.lanes(p, count, vectorTanh) { tanhf($0) }
        }
    }

    /// In place: 8 lanes at a time through `vector`, the tail through `scalar`.
    @inline(__always)
    static func lanes(_ p: UnsafeMutablePointer<Float>, _ count: Int,
                      _ vector: (SIMD8<Float>) -> SIMD8<Float>, _ scalar: (Float) -> Float) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(p + i)
            raw.storeBytes(of: vector(raw.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            p[i] = scalar(p[i])
            i += 1
        }
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        // Split by sign so expf never overflows to inf/inf.
        if x >= 0 {
            return 1 / (1 + expf(-x))
        }
        let e = expf(x)
        return e / (1 + e)
    }
}
