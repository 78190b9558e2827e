import CEdgeSupport
import EdgeFormat

/// Folds inference-mode BatchNormalization into the Conv, ConvTranspose or Gemm that
/// feeds it: y = scale * (Wx + b) + shift with scale = gamma / sqrt(var + eps) and
/// shift = beta - mean * scale, so W' = scale * W and b' = scale * b + shift.
/// A BN with no such producer stays and is lowered to a per-channel affine op.
enum BatchNormFolding {
    /// (scale, shift) per channel of an inference BatchNormalization with constant stats.
    static func affine(_ bn: Node, _ graph: Graph) throws -> (scale: [Float], shift: [Float])? {
        guard bn.inputs.count >= 5,
              let gamma = graph.constants[bn.input(1)]?.floats, let beta = graph.constants[bn.input(2)]?.floats,
              let mean = graph.constants[bn.input(3)]?.floats, let variance = graph.constants[bn.input(4)]?.floats else {
            return nil
        }
        let c = gamma.count
        guard beta.count == c, mean.count == c, variance.count == c else {
            throw EdgeError(.shape, "\(bn.label): scale, bias, mean and var differ in length")
        }
        if bn.outputs.count > 1, bn.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw EdgeError(.unsupported, "\(bn.label): training-mode BatchNormalization (running stats outputs) is not supported")
        }
        let eps = bn.float("epsilon", 1e-5)
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for i in 0..<c {
            scale[i] = gamma[i] / sqrtf(variance[i] + eps)
            shift[i] = beta[i] - mean[i] * scale[i]
        }
        return (scale, shift)
    }

    static func run(_ graph: Graph) throws {
        var i = 0
        while i < graph.nodes.count {
            let bn = graph.nodes[i]
            guard bn.opType == "BatchNormalization", let (scale, shift) = try affine(bn, graph),
                  let p = graph.producer(of: bn.input(0)) else { i += 1; continue }
            let producer = graph.nodes[p]
            let mid = bn.input(0)
            guard graph.consumers(of: mid).count == 1, !graph.outputs.contains(mid), producer.fused == nil,
                  try fold(producer, scale, shift, graph) else { i += 1; continue }
            let out = bn.outputs[0]
            graph.nodes.remove(at: i)
            let k = graph.nodes[p].outputs.firstIndex(of: mid)!
            graph.nodes[p].outputs[k] = out
            graph.shapes[out] = graph.shapes[mid]
        }
    }

    /// Rewrites the producer's weight and bias constants; false if it cannot fold.
    static func fold(_ node: Node, _ scale: [Float], _ shift: [Float], _ graph: Graph) throws -> Bool {
        let c = scale.count
        switch node.opType {
        case "Conv", "ConvTranspose":
            guard var w = graph.constants[node.input(1)] else { return false }
            var values = w.floats
            let group = node.int("group", 1)
            let outChannels = node.opType == "Conv" ? w.shape[0] : w.shape[1] * group
            guard outChannels == c else { return false }
            if node.opType == "Conv" {
                let per = values.count / c
                for m in 0..<c { for k in 0..<per { values[m * per + k] *= scale[m] } }
            } else {
                // W is [C, M/group, kH, kW]; input channel ci belongs to group ci / (C/group).
                let inChannels = w.shape[0], perGroupOut = w.shape[1], spatial = w.shape[2] * w.shape[3]
                for ci in 0..<inChannels {
                    let g = ci / (inChannels / group)
                    for j in 0..<perGroupOut {
                        let m = g * perGroupOut + j
                        for k in 0..<spatial { values[(ci * perGroupOut + j) * spatial + k] *= scale[m] }
                    }
                }
            }
            w.data = .float(values)
            let bias = node.input(2).isEmpty ? [Float](repeating: 0, count: c) : graph.constants[node.input(2)]?.floats
            guard let b = bias, b.count == c else { return false }
            let newBias = (0..<c).map { b[$0] * scale[$0] + shift[$0] }
            try replace(node, weight: w, bias: HostTensor(shape: [c], floats: newBias), graph)
            return true
        case "Gemm":
            guard var b = graph.constants[node.input(1)] else { return false }
            let transB = node.int("transB", 0) != 0
            let n = transB ? b.shape[0] : b.shape[1]
            guard n == c else { return false }
            var values = b.floats
            let k = transB ? b.shape[1] : b.shape[0]
            for r in 0..<(transB ? n : k) {
                for col in 0..<(transB ? k : n) {
                    values[r * (transB ? k : n) + col] *= scale[transB ? r : col]
                }
            }
            b.data = .float(values)
            let alpha = node.float("alpha", 1), beta = node.float("beta", 1)
            var bias = [Float](repeating: 0, count: c)
            if !node.input(2).isEmpty {
                guard let cval = graph.constants[node.input(2)], cval.count == c || cval.count == 1 else { return false }
                let f = cval.floats
                for j in 0..<c { bias[j] = f[cval.count == 1 ? 0 : j] * beta }
            }
            // Y = alpha*A*B + beta*C: keep alpha in B's scale, fold beta into the new C.
            let newC = (0..<c).map { bias[$0] * scale[$0] + shift[$0] }
            var gemm = node
            gemm.attributes["beta"] = .float(1)
            gemm.attributes["alpha"] = .float(alpha)
            try replace(gemm, weight: b, bias: HostTensor(shape: [c], floats: newC), graph)
            return true
        default:
            return false
        }
    }

    static func replace(_ node: Node, weight: HostTensor, bias: HostTensor, _ graph: Graph) throws {
        guard let i = graph.nodes.firstIndex(where: { $0.name == node.name && $0.outputs == node.outputs }) else { return }
        let wName = node.name + "::weight_bn"
        let bName = node.name + "::bias_bn"
        graph.constants[wName] = weight
        graph.shapes[wName] = weight.shape
        graph.constants[bName] = bias
        graph.shapes[bName] = bias.shape
        var updated = node
        updated.inputs = [node.input(0), wName, bName]
        graph.nodes[i] = updated
    }
}
