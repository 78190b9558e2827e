import CEdgeSupport

/// ONNX LRN over axis 1 of `x` (`[N, C, ...]`), in Double:
/// `y = x / (bias + alpha / size * square_sum)^beta`, square_sum over channels
/// `c - floor((size-1)/2) ... c + ceil((size-1)/2)` that exist.
public func referenceLRN(_ x: [Float], shape: [Int], size: Int, alpha: Float, beta: Float, bias: Float) -> [Float] {
    let n = shape[0], c = shape[1]
    var plane = 1
    for d in 2..<shape.count { plane *= shape[d] }
    let before = (size - 1) / 2, after = size - 1 - before
    var result = [Float](repeating: 0, count: x.count)
    for b in 0..<n {
        for ch in 0..<c {
            for j in 0..<plane {
                var sum = 0.0
                for k in max(0, ch - before)...min(c - 1, ch + after) {
                    let v = Double(x[(b * c + k) * plane + j])
                    sum += v * v
                }
                let i = (b * c + ch) * plane + j
                let denominator = pow(Double(bias) + Double(alpha) / Double(size) * sum, Double(beta))
                result[i] = Float(Double(x[i]) / denominator)
            }
        }
    }
    return result
}
