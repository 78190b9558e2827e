import CEdgeSupport
import EdgeFormat

extension Activation {
    /// `dst[i] = act(src[i] * scale + shift)` in one pass; `src == dst` is allowed.
    ///
    /// The epilogue of every producer with a per-channel bias (Conv, ConvTranspose: scale
    /// 1, shift = bias) and the body of ChannelAffine. Doing bias and activation in one
    /// sweep touches each output once while it is still in cache, instead of a bias pass
    /// plus an activation pass. The switch sits outside the loops so every case is a
    /// plain loop the compiler vectorizes.
    func affine(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                scale: Float, shift: Float) {
        let s = scale, b = shift
        switch kind {
        case .none:
            for i in 0..<count { dst[i] = src[i] * s + b }
        case .relu:
            for i in 0..<count { let x = src[i] * s + b; dst[i] = x > 0 ? x : 0 }
        case .clip:
            let lo = alpha, hi = beta
            for i in 0..<count { dst[i] = Swift.min(Swift.max(src[i] * s + b, lo), hi) }
        case .leakyRelu:
            let a = alpha
            for i in 0..<count { let x = src[i] * s + b; dst[i] = x >= 0 ? x : a * x }
        case .hardSwish:
            let a = alpha, c = beta
            for i in 0..<count {
                let x = src[i] * s + b
                dst[i] = x * Swift.max(0, Swift.min(1, a * x + c))
            }
        default:
            // Transcendental ones: the function call dominates, a second pass is free.
            for i in 0..<count { dst[i] = src[i] * s + b }
            apply(dst, count: count)
        }
    }

    /// `p[i] = act(p[i] + bias)`: the per-output-channel epilogue of Conv-like layers.
    @inline(__always)
    func biasActivate(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float) {
        if kind == .none && bias == 0 { return }
        affine(UnsafePointer(p), p, count: count, scale: 1, shift: bias)
    }
}
