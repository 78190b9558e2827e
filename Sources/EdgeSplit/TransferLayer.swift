import EdgeFormat
import EdgeRuntime

/// What the head does to the cut tensor before it is sent, and the tail after it arrives.
///
/// Every kind is built from existing op codes, so the runtime (and the device) needs no
/// new layer type:
/// - `none`: the cut tensor crosses as it is.
/// - `pool2`: ScissionTL's parameter-free pair: a 2x2 stride-2 max-pool ends the head, a
///   nearest 2x up-sample (Resize, asymmetric, floor) starts the tail. Odd sizes pool
///   with one row/column of padding and up-sample back to the original size.
/// - `pca(K)`: a 1x1 conv C -> K ends the head (the K leading principal directions of the
///   channel covariance, centred: bias = -V^T mean) and its transpose K -> C (+ mean)
///   starts the tail: the least-squares-optimal linear pair for K channels.
///   Rank-2 cut tensors ([N, C], after a Flatten) use Gemm for the same pair.
public enum TransferLayerKind: Equatable, CustomStringConvertible {
    case none
    case pool2
    case pca(Int)
    /// The smallest K whose explained variance reaches the target fidelity.
    case pcaAuto

    public static func parse(_ text: String) throws(EdgeError) -> TransferLayerKind {
        switch text {
        case "none": return .none
        case "pool2": return .pool2
        case "pca:auto": return .pcaAuto
        default:
            if text.hasPrefix("pca:") {
                guard let k = Int(text.dropFirst(4)), k >= 1 else {
                    throw EdgeError(.invalidArgument, "--tl '\(text)': K must be a positive integer (pca:8) or 'auto'")
                }
                return .pca(k)
            }
            throw EdgeError(.invalidArgument, "--tl '\(text)' is not one of none, pool2, pca:K, pca:auto")
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .pool2: return "pool2"
        case .pca(let k): return "pca:\(k)"
        case .pcaAuto: return "pca:auto"
        }
    }
}

/// A Transfer Layer with its parameters resolved (K and the PCA basis chosen).
struct TransferLayer {
    var kind: TransferLayerKind
    /// pca: the basis, K columns of C values each (column-major: basis[k * C + c]).
    var basis: [Float] = []
    var mean: [Float] = []
    var k: Int = 0

    /// The shape that crosses the link for a cut tensor of shape `cut`.
    func transferShape(_ cut: [Int]) -> [Int] {
        switch kind {
        case .none: return cut
        case .pool2: return [cut[0], cut[1], (cut[2] + 1) / 2, (cut[3] + 1) / 2]
        case .pca, .pcaAuto:
            var s = cut
            s[1] = k
            return s
        }
    }

    static func checkApplies(_ kind: TransferLayerKind, cutShape: [Int], cutName: String) throws(EdgeError) {
        switch kind {
        case .none: return
        case .pool2:
            guard cutShape.count == 4, cutShape[2] >= 2 || cutShape[3] >= 2 else {
                throw EdgeError(.unsupported, "--tl pool2 needs an NCHW cut tensor with a spatial size of at least 2; '\(cutName)' is \(ShapeText.of(cutShape))")
            }
        case .pca(let k):
            guard cutShape.count == 4 || cutShape.count == 2 else {
                throw EdgeError(.unsupported, "--tl pca needs a cut tensor of rank 4 (NCHW) or 2 ([N, C]); '\(cutName)' is \(ShapeText.of(cutShape))")
            }
            guard k <= cutShape[1] else {
                throw EdgeError(.invalidArgument, "--tl pca:\(k): K must be at most the \(cutShape[1]) channels of the cut tensor '\(cutName)' \(ShapeText.of(cutShape))")
            }
        case .pcaAuto:
            guard cutShape.count == 4 || cutShape.count == 2 else {
                throw EdgeError(.unsupported, "--tl pca needs a cut tensor of rank 4 (NCHW) or 2 ([N, C]); '\(cutName)' is \(ShapeText.of(cutShape))")
            }
        }
    }

    /// Appends the head's half: reads `cut`, makes a new tensor that becomes the head's output.
    func appendToHead(_ d: inout ModelDraft, cut: Int) {
        let shape = d.tensors[cut].shape
        switch kind {
        case .none:
            return
        case .pool2:
            let y = d.addArena("transfer.pooled", shape: transferShape(shape))
            let padH = Int64(shape[2] % 2), padW = Int64(shape[3] % 2)
            let window = Window2D(kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, padBottom: padH, padRight: padW)
            let params = MaxPoolParams(window: window)
            d.ops.append(OpDescription(code: .maxPool, name: "transfer.pool2", inputs: [Int32(cut)], outputs: [Int32(y)],
                                       params: params))
            d.outputs = [y]
        case .pca, .pcaAuto:
            let c = shape[1]
            // Rows of W are the basis vectors: y_k = v_k . (x - mean).
            var w = [Float](repeating: 0, count: k * c)
            var b = [Float](repeating: 0, count: k)
            for j in 0..<k {
                var dot: Float = 0
                for i in 0..<c {
                    w[j * c + i] = basis[j * c + i]
                    dot += basis[j * c + i] * mean[i]
                }
                b[j] = -dot
            }
            let y = d.addArena("transfer.pca", shape: transferShape(shape))
            d.ops.append(projection(&d, name: "transfer.pca.encode", input: cut, output: y,
                                    weight: w, rows: k, cols: c, bias: b, rank: shape.count))
            d.outputs = [y]
        }
    }

    /// Prepends the tail's half: a new input tensor of the transfer shape, turned back into `cut`.
    func prependToTail(_ d: inout ModelDraft, cut: Int) {
        let shape = d.tensors[cut].shape
        switch kind {
        case .none:
            return
        case .pool2:
            let x = d.addArena("transfer.received", shape: transferShape(shape))
            let params = ResizeParams(mode: .nearest, transform: .asymmetric, nearest: .floor, scaleH: 2, scaleW: 2)
            let op = OpDescription(code: .resize, name: "transfer.upsample2", inputs: [Int32(x)], outputs: [Int32(cut)],
                                   params: params)
            d.ops.insert(op, at: 0)
            d.inputs = [x]
        case .pca, .pcaAuto:
            let c = shape[1]
            // x_c = sum_k v_k[c] y_k + mean_c: W is [C, K].
            var w = [Float](repeating: 0, count: c * k)
            for j in 0..<k {
                for i in 0..<c { w[i * k + j] = basis[j * c + i] }
            }
            let x = d.addArena("transfer.received", shape: transferShape(shape))
            let op = projection(&d, name: "transfer.pca.decode", input: x, output: cut,
                                weight: w, rows: c, cols: k, bias: mean, rank: shape.count)
            d.ops.insert(op, at: 0)
            d.inputs = [x]
        }
    }

    /// y = W x + b per position: a 1x1 conv for NCHW, a Gemm for [N, C].
    private func projection(_ d: inout ModelDraft, name: String, input: Int, output: Int,
                            weight: [Float], rows: Int, cols: Int, bias: [Float], rank: Int) -> OpDescription {
        if rank == 4 {
            let w = d.addWeight(name + ".weight", shape: [rows, cols, 1, 1], weight)
            let b = d.addWeight(name + ".bias", shape: [rows], bias)
            let params = ConvParams(window: Window2D(kernelH: 1, kernelW: 1))
            return OpDescription(code: .conv, name: name, inputs: [Int32(input), Int32(w), Int32(b)], outputs: [Int32(output)],
                                 params: params)
        }
        // Gemm's B is stored [N, K] = [rows, cols]: Y = X B^T + C.
        let w = d.addWeight(name + ".weight", shape: [rows, cols], weight)
        let b = d.addWeight(name + ".bias", shape: [rows], bias)
        let params = GemmParams()
        return OpDescription(code: .gemm, name: name, inputs: [Int32(input), Int32(w), Int32(b)], outputs: [Int32(output)],
                             params: params)
    }
}
