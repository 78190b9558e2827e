import CEdgeSupport
import EdgeFormat

/// A fused activation, applied in a producer's epilogue while its output is still in cache.
/// The record's `FusedActivation` itself (its scalar `apply` is in EdgeFormat); the
/// runtime adds the in-place loops.
public typealias Activation = FusedActivation

extension FusedActivation {
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
            FusedActivation.lanes(p, count, vectorSigmoid) { FusedActivation.sigmoid($0) }
        case .swish:
            FusedActivation.lanes(p, count, { $0 * vectorSigmoid($0) }) { $0 * FusedActivation.sigmoid($0) }
        case .tanh:
            FusedActivation.lanes(p, count, vectorTanh) { tanhf($0) }
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
}
