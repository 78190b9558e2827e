import CEdgeSupport

/// Softmax of `x` (`shape`) along `axis` (opset 13), in Double with the max subtracted.
public func referenceSoftmax(_ x: [Float], shape: [Int], axis: Int) -> [Float] {
    var outer = 1, inner = 1
    for d in 0..<axis { outer *= shape[d] }
    for d in axis + 1..<shape.count { inner *= shape[d] }
    let n = shape[axis]
    var result = [Float](repeating: 0, count: x.count)
    for o in 0..<outer {
        for j in 0..<inner {
            func offset(_ k: Int) -> Int { (o * n + k) * inner + j }
            var m = -Double.infinity
            for k in 0..<n { m = max(m, Double(x[offset(k)])) }
            var sum = 0.0
            for k in 0..<n { sum += exp(Double(x[offset(k)]) - m) }
            for k in 0..<n { result[offset(k)] = Float(exp(Double(x[offset(k)]) - m) / sum) }
        }
    }
    return result
}
