import EdgeFormat

/// Gemm, MatMul and the per-channel affine op from their ONNX definitions, one output
/// element at a time with Double accumulation.
public enum GemmReference {
    /// ONNX Gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (same for B),
    /// C unidirectionally broadcast to [M, N] (shapes [], [N], [1, N], [M, 1], [M, N], ...).
    public static func gemm(a: [Float], aShape: [Int], b: [Float], bShape: [Int],
                            c: [Float]?, cShape: [Int], alpha: Float, beta: Float,
                            transA: Bool, transB: Bool,
                            activation: ActivationKind = .none, actAlpha: Float = 0, actBeta: Float = 0)
        -> (values: [Float], shape: [Int]) {
        let m = transA ? aShape[1] : aShape[0], k = transA ? aShape[0] : aShape[1]
        let n = transB ? bShape[0] : bShape[1]
        precondition((transB ? bShape[1] : bShape[0]) == k, "inner dims differ")
        // Right-aligned broadcast of C: missing or size-1 dims repeat.
        let cm = cShape.count == 2 ? cShape[0] : 1
        let cn = cShape.count >= 1 ? cShape[cShape.count - 1] : 1
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    acc += Double(av) * Double(bv)
                }
                var v = Double(alpha) * acc
                if let c = c {
                    let ci = (cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)
                    v += Double(beta) * Double(c[ci])
                }
                y[i * n + j] = referenceActivation(activation, alpha: actAlpha, beta: actBeta, value: Float(v))
            }
        }
        return (y, [m, n])
    }

    /// numpy matmul for operands of rank >= 2: batch dims broadcast right-aligned.
    public static func matMul(a: [Float], aShape: [Int], b: [Float], bShape: [Int],
                              activation: ActivationKind = .none, alpha: Float = 0, beta: Float = 0)
        -> (values: [Float], shape: [Int]) {
        let ra = aShape.count, rb = bShape.count, r = Swift.max(ra, rb)
        let m = aShape[ra - 2], k = aShape[ra - 1], n = bShape[rb - 1]
        precondition(bShape[rb - 2] == k, "inner dims differ")
        var batch: [Int] = []
        for d in 0..<(r - 2) {
            let da = d - (r - ra) >= 0 ? aShape[d - (r - ra)] : 1
            let db = d - (r - rb) >= 0 ? bShape[d - (r - rb)] : 1
            precondition(da == db || da == 1 || db == 1, "batch dims do not broadcast")
            batch.append(Swift.max(da, db))
        }
        let items = batch.reduce(1, *)
        var y = [Float](repeating: 0, count: items * m * n)
        for item in 0..<items {
            // Multi-index of this item in the broadcast batch, then each operand's item.
            var rest = item
            var index = [Int](repeating: 0, count: batch.count)
            for d in stride(from: batch.count - 1, through: 0, by: -1) {
                index[d] = rest % batch[d]
                rest /= batch[d]
            }
            func itemOf(_ shape: [Int]) -> Int {
                var flat = 0
                let offset = (r - 2) - (shape.count - 2)
                for d in 0..<(shape.count - 2) {
                    let i = shape[d] == 1 ? 0 : index[d + offset]
                    flat = flat * shape[d] + i
                }
                return flat
            }
            let ai = itemOf(aShape), bi = itemOf(bShape)
            for i in 0..<m {
                for j in 0..<n {
                    var acc = 0.0
                    for p in 0..<k {
                        acc += Double(a[(ai * m + i) * k + p]) * Double(b[(bi * k + p) * n + j])
                    }
                    y[(item * m + i) * n + j] = referenceActivation(activation, alpha: alpha, beta: beta, value: Float(acc))
                }
            }
        }
        return (y, batch + [m, n])
    }

    /// Y = act(X * scale[c] + shift[c]) along axis 1 of X [N, C, ...].
    public static func channelAffine(x: [Float], xShape: [Int], scale: [Float], shift: [Float],
                                     activation: ActivationKind = .none, alpha: Float = 0, beta: Float = 0)
        -> [Float] {
        let c = xShape[1]
        let inner = xShape.dropFirst(2).reduce(1, *)
        var y = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let ch = (i / inner) % c
            let v = Double(x[i]) * Double(scale[ch]) + Double(shift[ch])
            y[i] = referenceActivation(activation, alpha: alpha, beta: beta, value: Float(v))
        }
        return y
    }
}
