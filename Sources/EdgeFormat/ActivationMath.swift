import CEdgeSupport

/// What each fused activation computes, defined once for every Float evaluator: the
/// runtime's scalar epilogues (its SIMD loops in EdgeRuntime follow the same formulas), the
/// compiler's constant folder and the pruning analysis of constant channels. The test
/// oracle (EdgeReference) is written separately, in Double, on purpose.
extension FusedActivation {
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch kind {
        case .none: return x
        case .relu: return x > 0 ? x : 0
        case .clip: return Swift.min(Swift.max(x, alpha), beta)
        case .leakyRelu: return x >= 0 ? x : alpha * x
        case .hardSigmoid: return Swift.max(0, Swift.min(1, alpha * x + beta))
        case .hardSwish: return x * Swift.max(0, Swift.min(1, alpha * x + beta))
        case .sigmoid: return FusedActivation.sigmoid(x)
        case .swish: return x * FusedActivation.sigmoid(x)
        case .tanh: return tanhf(x)
        }
    }

    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        // Split by sign so expf never overflows to inf/inf.
        if x >= 0 {
            return 1 / (1 + expf(-x))
        }
        let e = expf(x)
        return e / (1 + e)
    }
}
