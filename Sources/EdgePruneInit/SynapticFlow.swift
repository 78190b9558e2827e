import EdgeCompiler
import EdgeFormat
import Foundation

/// SynFlow (Tanaka et al. 2020) scores, computed per channel instead of per pixel.
///
/// SynFlow scores a parameter by |theta * dR/dtheta| where R is the sum of the outputs of
/// the network with every weight replaced by its absolute value, fed an all-ones input.
/// Then every value is non-negative, so Relu-like activations pass everything, and every
/// position of a feature map holds (away from the zero padding) the same number: the map
/// is one scalar per channel. That turns the forward and backward passes into products of
/// small per-channel matrices, M[o][c] = sum over the kernel of |W[o, c, :]|:
///
///   forward  v_out[o] = sum_c M[o][c] * v_in[c]          (value at one position)
///   backward T_in[c]  = sum_o M[o][c] * T_out[o]          (dR/dx summed over positions)
///
/// and the score of W[o, c, k] is |W[o, c, k]| * v_in[c] * T_out[o]. Pools, flatten and
/// other per-channel ops pass both through; Add sums, Concat stacks; BatchNorm multiplies
/// by |gamma / sqrt(var + eps)|. The only approximation is the border (zero padding makes
/// edge pixels smaller); biases are left out (zero at initialization). The flow through a
/// channel, v * T, is the summed score of its filter, and of its consumers' columns.
struct SynapticFlow {
    var forward: [String: [Double]] = [:]
    var backward: [String: [Double]] = [:]
    /// Per-channel |W| sums of each weight-holding node, by node index.
    private var matrices: [Int: [Double]] = [:]

    static let passThrough: Set<String> = [
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip", "Elu", "Selu", "Softplus",
        "Identity", "Dropout", "Cast", "Neg", "Abs", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
        "Pad", "Slice", "Resize", "Upsample", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose",
        "Softmax", "LogSoftmax", "ReduceMean", "ReduceMax",
    ]
    static let sums: Set<String> = ["Add", "Sum", "Sub", "Mean", "Max", "Min"]
    static let products: Set<String> = ["Mul", "Div"]

    /// `weights`: |W| (with a pruning mask applied) by constant name, for the nodes being
    /// scored; other constants are read from the graph. `input`: per-channel magnitude of
    /// each graph input (default all ones).
    init(_ graph: Graph, _ groups: ChannelGroups, weights: [String: [Float]], input: [String: [Double]] = [:]) throws {
        func count(_ v: String) throws -> Int {
            guard let s = groups.space(of: v) else { throw EdgeError(.unsupported, "reconvene scoring: value '\(v)' has no channel space") }
            return s.count
        }
        func w(_ name: String) -> [Float] { weights[name] ?? (graph.constants[name]?.floats.map { abs($0) } ?? []) }
        func unsupported(_ node: Node, _ why: String = "") -> EdgeError {
            EdgeError(.unsupported, "reconvene scoring does not support \(node.label)\(why.isEmpty ? "" : ": " + why) (supported: Conv, Gemm, MatMul, BatchNormalization, activations, pools, reshapes, Add, Concat, Split)")
        }
        for v in graph.inputs {
            let n = try count(v)
            forward[v] = input[v] ?? [Double](repeating: 1, count: n)
            guard forward[v]!.count == n else { throw EdgeError(.shape, "calibration for '\(v)' has \(forward[v]!.count) channels, the input \(n)") }
        }
        // Forward.
        for (i, node) in graph.nodes.enumerated() {
            let outs = node.outputs.filter { !$0.isEmpty && !graph.isConstant($0) }
            if outs.isEmpty { continue }
            let vars = node.inputs.filter { !$0.isEmpty && !graph.isConstant($0) }
            guard let x = vars.first, let vx = forward[x] else { throw unsupported(node, "no variable input") }
            let op = node.opType
            switch op {
            case "Conv":
                guard let wT = graph.constants[node.input(1)], wT.shape.count >= 3 else { throw unsupported(node, "weights must be constant") }
                let cout = wT.shape[0], cinG = wT.shape[1], spatial = wT.shape[2...].reduce(1, *)
                let group = max(1, node.int("group", 1))
                guard vx.count == cinG * group, cout % group == 0 else { throw unsupported(node, "channels do not match") }
                let m = Self.kernelSums(w(node.input(1)), rows: cout * cinG, spatial: spatial)
                matrices[i] = m
                let perGroup = cout / group
                forward[outs[0]] = (0..<cout).map { o in
                    let g = o / perGroup
                    var s = 0.0
                    for c in 0..<cinG { s += m[o * cinG + c] * vx[g * cinG + c] }
                    return s
                }
            case "Gemm", "MatMul":
                guard let bT = graph.constants[node.input(1)], bT.shape.count == 2, node.int("transA", 0) == 0 else {
                    throw unsupported(node, "B must be a constant matrix, A not transposed")
                }
                let transB = op == "Gemm" && node.int("transB", 0) != 0
                let k = transB ? bT.shape[1] : bT.shape[0], n = transB ? bT.shape[0] : bT.shape[1]
                guard k % vx.count == 0 else { throw unsupported(node, "features do not match channels") }
                let blk = k / vx.count
                let b = w(node.input(1))
                // Row f of B as [k][n].
                var m = [Double](repeating: 0, count: k * n)
                for f in 0..<k { for col in 0..<n { m[f * n + col] = Double(transB ? b[col * k + f] : b[f * n + col]) } }
                matrices[i] = m
                let alpha = Double(abs(node.float("alpha", 1)))
                forward[outs[0]] = (0..<n).map { col in
                    var s = 0.0
                    for f in 0..<k { s += m[f * n + col] * vx[f / blk] }
                    return alpha * s
                }
            case "BatchNormalization":
                let scale = Self.batchNormScale(node, graph)
                guard scale.count == vx.count else { throw unsupported(node, "channels do not match") }
                matrices[i] = scale
                forward[outs[0]] = (0..<vx.count).map { vx[$0] * scale[$0] }
            case "Concat":
                let axis = node.int("axis", 0)
                guard let s = groups.space(of: outs[0]), s.axis == axis || (axis < 0 && s.axis == (graph.shapes[outs[0]]?.count ?? 0) + axis) else {
                    throw unsupported(node, "only along the channel axis")
                }
                forward[outs[0]] = try vars.flatMap { v -> [Double] in
                    guard let f = forward[v] else { throw unsupported(node) }
                    return f
                }
            case "Split":
                guard let s = groups.space(of: x), s.axis == node.int("axis", 0) else { throw unsupported(node, "only along the channel axis") }
                var offset = 0
                for out in node.outputs where !out.isEmpty {
                    let n = try count(out)
                    guard offset + n <= vx.count else { throw unsupported(node) }
                    forward[out] = Array(vx[offset..<(offset + n)])
                    offset += n
                }
            case _ where Self.sums.contains(op) || Self.products.contains(op):
                let n = try count(outs[0])
                var acc = [Double](repeating: Self.products.contains(op) ? 1 : 0, count: n)
                for v in vars {
                    guard let f = forward[v], f.count == n || f.count == 1 else { throw unsupported(node, "broadcast over channels") }
                    for c in 0..<n {
                        let value = f.count == 1 ? f[0] : f[c]
                        if Self.products.contains(op) { acc[c] *= (op == "Div" && v != vars[0]) ? 1 : value } else { acc[c] += value }
                    }
                }
                forward[outs[0]] = acc
            case _ where Self.passThrough.contains(op):
                guard outs.count == 1, try count(outs[0]) == vx.count else { throw unsupported(node, "changes the channel count") }
                forward[outs[0]] = vx
            default:
                throw unsupported(node)
            }
        }
        // Backward: R = the sum of every output element.
        for v in graph.outputs {
            guard let f = forward[v], let shape = graph.shapes[v] else { continue }
            let positions = Double(shape.reduce(1, *)) / Double(max(f.count, 1))
            backward[v] = [Double](repeating: positions, count: f.count)
        }
        func add(_ v: String, _ t: [Double]) {
            guard !graph.isConstant(v) else { return }
            if var cur = backward[v], cur.count == t.count {
                for c in 0..<t.count { cur[c] += t[c] }
                backward[v] = cur
            } else {
                backward[v] = t
            }
        }
        for i in graph.nodes.indices.reversed() {
            let node = graph.nodes[i]
            let outs = node.outputs.filter { !$0.isEmpty && !graph.isConstant($0) }
            guard !outs.isEmpty else { continue }
            let vars = node.inputs.filter { !$0.isEmpty && !graph.isConstant($0) }
            let x = vars[0]
            let cin = forward[x]!.count
            let op = node.opType
            switch op {
            case "Conv":
                guard let t = backward[outs[0]] else { continue }
                let m = matrices[i]!
                let cout = t.count, group = max(1, node.int("group", 1)), cinG = cin / group, perGroup = cout / group
                var tin = [Double](repeating: 0, count: cin)
                for o in 0..<cout {
                    let g = o / perGroup
                    for c in 0..<cinG { tin[g * cinG + c] += m[o * cinG + c] * t[o] }
                }
                add(x, tin)
            case "Gemm", "MatMul":
                guard let t = backward[outs[0]] else { continue }
                let m = matrices[i]!
                let n = t.count, k = m.count / max(n, 1), blk = k / cin
                let alpha = Double(abs(node.float("alpha", 1)))
                var tin = [Double](repeating: 0, count: cin)
                for f in 0..<k {
                    var s = 0.0
                    for col in 0..<n { s += m[f * n + col] * t[col] }
                    tin[f / blk] += alpha * s
                }
                add(x, tin)
            case "BatchNormalization":
                guard let t = backward[outs[0]] else { continue }
                let s = matrices[i]!
                add(x, (0..<t.count).map { t[$0] * s[$0] })
            case "Concat":
                guard let t = backward[outs[0]] else { continue }
                var offset = 0
                for v in vars {
                    let n = forward[v]!.count
                    add(v, Array(t[offset..<(offset + n)]))
                    offset += n
                }
            case "Split":
                var tin = [Double](repeating: 0, count: cin)
                var offset = 0
                for out in node.outputs where !out.isEmpty {
                    let n = forward[out]!.count
                    if let t = backward[out] { for c in 0..<n { tin[offset + c] += t[c] } }
                    offset += n
                }
                add(x, tin)
            case _ where Self.sums.contains(op) || Self.products.contains(op):
                guard let t = backward[outs[0]] else { continue }
                let out = forward[outs[0]]!
                for v in vars {
                    let f = forward[v]!
                    var tin = [Double](repeating: 0, count: f.count)
                    for c in 0..<t.count {
                        var g = t[c]
                        if Self.products.contains(op) {
                            // d(prod)/dv = prod / v (the other factors).
                            let value = f.count == 1 ? f[0] : f[c]
                            g *= (op == "Div" && v != vars[0]) ? 0 : (value == 0 ? 0 : out[c] / value)
                        }
                        tin[f.count == 1 ? 0 : c] += g
                    }
                    add(v, tin)
                }
            default:
                if let t = backward[outs[0]] { add(x, t) }
            }
        }
    }

    /// sum over the kernel of |W| for each (row = o * cinG + c).
    static func kernelSums(_ w: [Float], rows: Int, spatial: Int) -> [Double] {
        (0..<rows).map { r in
            var s = 0.0
            for k in 0..<spatial { s += Double(abs(w[r * spatial + k])) }
            return s
        }
    }

    static func batchNormScale(_ node: Node, _ graph: Graph) -> [Double] {
        guard let g = graph.constants[node.input(1)]?.floats, let v = graph.constants[node.input(4)]?.floats, g.count == v.count else { return [] }
        let eps = Double(node.float("epsilon", 1e-5))
        return (0..<g.count).map { abs(Double(g[$0])) / (Double(v[$0]) + eps).squareRoot() }
    }

    /// Score of every weight of a Conv / Gemm / MatMul node: |W| * v_in * T_out, laid out
    /// like the weight tensor.
    func scores(_ graph: Graph, node i: Int, absWeights w: [Float]) -> [Double] {
        let node = graph.nodes[i]
        let x = node.inputs.first { !$0.isEmpty && !graph.isConstant($0) }!
        let vx = forward[x]!
        guard let t = backward[node.outputs[0]], let wT = graph.constants[node.input(1)] else { return [Double](repeating: 0, count: w.count) }
        var out = [Double](repeating: 0, count: w.count)
        if node.opType == "Conv" {
            let cout = wT.shape[0], cinG = wT.shape[1], spatial = wT.shape[2...].reduce(1, *)
            let perGroup = cout / max(1, node.int("group", 1))
            for o in 0..<cout {
                let g = o / perGroup
                for c in 0..<cinG {
                    let f = vx[g * cinG + c] * t[o]
                    for k in 0..<spatial { let j = (o * cinG + c) * spatial + k; out[j] = Double(w[j]) * f }
                }
            }
        } else {
            let transB = node.opType == "Gemm" && node.int("transB", 0) != 0
            let k = transB ? wT.shape[1] : wT.shape[0], n = transB ? wT.shape[0] : wT.shape[1]
            let blk = k / vx.count
            for f in 0..<k {
                for col in 0..<n {
                    let j = transB ? col * k + f : f * n + col
                    out[j] = Double(w[j]) * vx[f / blk] * t[col]
                }
            }
        }
        return out
    }
}
