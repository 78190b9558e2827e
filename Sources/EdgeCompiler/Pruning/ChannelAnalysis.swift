import EdgeFormat

/// Channel dependency groups and per-channel constant values of a graph after
/// BatchNormFolding and ActivationFusion (see `ChannelPruning`).
///
/// Every non-constant value gets a channel *space*: which axis holds its channels, how
/// many there are, and how many consecutive features each channel covers on that axis
/// (`block`: 1 for N x C x H x W maps, H*W after flattening one into a Gemm input).
/// Channels are union-find elements; per-channel ops reuse their input's elements, ops
/// that tie channels together (Add of two tensors, Concat, depthwise Conv) union them.
/// A group (union-find class) is removed as a whole or not at all.
///
/// Alongside, each channel of each value carries what is known about its contents: a
/// constant (same value at every position; 0 = dead) or unknown (nil).
final class ChannelAnalysis {
    struct Space {
        var axis: Int
        var count: Int
        var block: Int
        var base: Int
        func element(_ c: Int) -> Int { base + c }
    }

    enum Mapping {
        case same
        /// Output channel = input channel + k (Concat input at offset k; Split output: -offset).
        case shift(Int)
        /// Depthwise Conv with multiplier m: input c -> outputs c*m ..< c*m+m.
        case expand(Int)
    }

    /// How channel c of `from` flows into `to` through a per-channel op; used to explain
    /// why an all-zero filter had to stay.
    struct Link {
        var node: Int
        var from: String
        var to: String
        var mapping: Mapping
        /// Value of the output channel (index given) from the input channel's value.
        var transfer: (Int, Float?) -> Float?
        /// Used as "feeds <label>" when a zero turns non-zero here; nil: do not blame this op.
        var feeds: String?
        /// Reason when a non-zero constant stops being constant here.
        var breaks: String
    }

    /// A node that sums over the channels of `value` with its own weights.
    struct Read {
        var node: Int
        var value: String
        var channel: Int
        /// Some weight for this input channel is non-zero.
        var nonZero: Bool
        /// A constant in this channel can be folded exactly into the node's bias.
        var foldable: Bool
        var op: String
        var padded: Bool
    }

    /// A node whose output channels are filters: (node, output value) and per channel
    /// whether every weight of the filter is zero, and the pre-activation value if known.
    struct Producer {
        var node: Int
        var value: String
        var zeroFilter: [Bool]
        var pre: [Float?]
    }

    /// A constant operand of `node` (input index `input`) indexed by the channels of
    /// `space` along its own axis `axis`, `block` values per channel.
    struct ConstSlice {
        var node: Int
        var input: Int
        var axis: Int
        var block: Int
        var space: String
    }

    let graph: Graph
    var spaces: [String: Space] = [:]
    var parent: [Int] = []
    var pins: [Int: String] = [:]
    var states: [String: [Float?]] = [:]
    var reads: [Read] = []
    var producers: [Producer] = []
    var links: [String: [Link]] = [:]
    var constSlices: [ConstSlice] = []
    /// Reshape nodes whose target shape holds the channel dimension explicitly, with its index.
    var reshapeFixes: [Int: Int] = [:]
    var splitFixes: [Int] = []
    /// MatMul node -> (Add node, input index) of the constant its constant channels fold into.
    var matMulFolds: [Int: (node: Int, input: Int)] = [:]
    var resizeFixes: [Int] = []

    init(_ graph: Graph) {
        self.graph = graph
    }

    // MARK: union-find and spaces

    func fresh(_ count: Int, axis: Int, block: Int = 1) -> Space {
        let s = Space(axis: axis, count: count, block: block, base: parent.count)
        parent.append(contentsOf: s.base..<(s.base + count))
        return s
    }

    func find(_ e: Int) -> Int {
        var x = e
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }

    func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }

    func pin(_ s: Space, _ reason: String) {
        for c in 0..<s.count where pins[s.base + c] == nil { pins[s.base + c] = reason }
    }

    func pin(value v: String, _ reason: String) {
        if let s = spaces[v] { pin(s, reason) }
    }

    func shape(_ v: String) -> [Int] { graph.shapes[v] ?? [] }

    func isConstant(_ v: String) -> Bool { graph.constants[v] != nil }

    /// A pinned space for a value whose channels are not understood.
    func opaque(_ v: String, _ reason: String) {
        let s = shape(v)
        guard !v.isEmpty, !s.isEmpty, !isConstant(v) else { return }
        let axis = s.count >= 2 ? 1 : 0
        let sp = fresh(s[axis], axis: axis)
        pin(sp, reason)
        spaces[v] = sp
        states[v] = [Float?](repeating: nil, count: sp.count)
    }

    func pinAll(_ node: Node, _ reason: String) {
        for v in node.inputs where !v.isEmpty { pin(value: v, reason) }
        for v in node.outputs where !v.isEmpty { opaque(v, reason) }
    }

    func displayName(_ node: Node) -> String {
        if node.opType == "edge.Activation", let a = node.fused { return ChannelMath.name(a) }
        return node.opType
    }

    /// "feeds X" label: the fused activation when it alone turns 0 into non-zero.
    func feedsLabel(_ node: Node) -> String {
        if let a = node.fused, ChannelMath.apply(a, 0) != 0 { return ChannelMath.name(a) }
        return displayName(node)
    }

    /// Output aliases the input's channels (a per-channel op), optionally on another axis.
    func perChannel(_ i: Int, _ node: Node, from x: String, to out: String, axis: Int? = nil,
                    breaks: String = "group member alive", transfer: @escaping (Int, Float?) -> Float?) {
        guard let xs = spaces[x] else { pinAll(node, "pinned by \(displayName(node))"); return }
        var s = xs
        if let a = axis { s.axis = a }
        spaces[out] = s
        let xState = states[x] ?? [Float?](repeating: nil, count: xs.count)
        states[out] = (0..<xs.count).map { transfer($0, xState[$0]) }
        links[x, default: []].append(Link(node: i, from: x, to: out, mapping: .same, transfer: transfer,
                                          feeds: feedsLabel(node), breaks: breaks))
    }

    // MARK: walk

    func run() {
        for v in graph.inputs { opaque(v, "pinned by graph input") }
        for (i, node) in graph.nodes.enumerated() {
            if node.outputs.allSatisfy({ $0.isEmpty || isConstant($0) }) { continue }
            visit(i, node)
        }
        for v in graph.outputs { pin(value: v, "pinned by graph output") }
    }

    func visit(_ i: Int, _ node: Node) {
        if let rule = OnnxOps.table[node.opType]?.channels {
            rule(self)(i, node)
        } else if let act = try? ActivationFusion.activation(of: node, graph) {
            // A standalone ONNX activation (graphs analysed before ActivationFusion, as
            // `edgec prune` does) is the same per-channel op as its edge.Activation form.
            perChannel(i, node, from: node.input(0), to: node.outputs[0]) { _, v in v.map { ChannelMath.apply(act, $0) } }
        } else {
            pinAll(node, "pinned by \(node.opType)")
        }
    }

    // MARK: channel rules without a section of their own (OnnxOps.table names them)

    /// edge.Activation: per channel, the activation of a known constant channel.
    func activation(_ i: Int, _ node: Node) {
        let act = node.fused
        perChannel(i, node, from: node.input(0), to: node.outputs[0]) { _, v in v.map { ChannelMath.apply(act, $0) } }
    }

    /// Elementwise math of one input (Neg, Sqrt, Cast, ...), with its fused activation if any.
    func unaryMath(_ i: Int, _ node: Node) {
        let act = node.fused
        perChannel(i, node, from: node.input(0), to: node.outputs[0]) { _, v in
            v.flatMap { ChannelMath.unary(node, $0) }.map { ChannelMath.apply(act, $0) }
        }
    }

    /// Resize, Upsample: channels pass through when they are not resized.
    func resize(_ i: Int, _ node: Node) {
        let op = node.opType
        guard let xs = spaces[node.input(0)], xs.axis < 2 else { pinAll(node, "pinned by \(op)"); return }
        if op == "Resize", node.inputs.count > 3, !node.input(3).isEmpty { resizeFixes.append(i) }
        perChannel(i, node, from: node.input(0), to: node.outputs[0]) { _, v in v }
    }

    /// Transpose: the channel axis moves with the permutation.
    func transpose(_ i: Int, _ node: Node) {
        guard let xs = spaces[node.input(0)], let perm = node.ints("perm"), let a = perm.firstIndex(of: xs.axis) else {
            pinAll(node, "pinned by Transpose"); return
        }
        perChannel(i, node, from: node.input(0), to: node.outputs[0], axis: a) { _, v in v }
    }

    // MARK: producers

    /// Sums over each filter's kernel: nonZero[o * cin + c], sums[o * cin + c].
    static func kernelSums(_ w: [Float], rows: Int, cols: Int, spatial: Int) -> (nonZero: [Bool], sums: [Float]) {
        var nz = [Bool](repeating: false, count: rows * cols)
        var sums = [Float](repeating: 0, count: rows * cols)
        for r in 0..<(rows * cols) {
            var any = false
            var s: Float = 0
            let base = r * spatial
            for k in 0..<spatial {
                let v = w[base + k]
                if v != 0 { any = true }
                s += v
            }
            nz[r] = any
            sums[r] = s
        }
        return (nz, sums)
    }

    func conv(_ i: Int, _ node: Node) {
        let x = node.input(0), out = node.outputs[0]
        guard node.outputs.count == 1, let wT = graph.constants[node.input(1)], wT.shape.count >= 3,
              node.input(2).isEmpty || isConstant(node.input(2)) else {
            pinAll(node, "pinned by Conv (non-constant weights)"); return
        }
        let w = wT.floats
        let bias = node.input(2).isEmpty ? nil : graph.constants[node.input(2)]!.floats
        let cout = wT.shape[0], cinG = wT.shape[1], spatial = wT.shape[2...].reduce(1, *)
        let group = max(1, node.int("group", 1))
        let xShape = shape(x)
        let cin = cinG * group
        let padded = (node.ints("pads") ?? [0, 0, 0, 0]).contains { $0 != 0 }
        let outSpace = fresh(cout, axis: 1)
        spaces[out] = outSpace
        var xs = spaces[x]
        if let s = xs, !(s.axis == 1 && s.block == 1 && xShape.count == wT.shape.count && s.count == cin) {
            pin(s, "pinned by Conv")
            xs = nil
        }
        let xState = xs.flatMap { _ in states[x] } ?? [Float?](repeating: nil, count: cin)
        let (nz, sums) = Self.kernelSums(w, rows: cout, cols: cinG, spatial: spatial)
        let perGroup = cout / group
        var zeroFilter = [Bool](repeating: true, count: cout)
        var pre = [Float?](repeating: nil, count: cout)
        for o in 0..<cout {
            let g = o / perGroup
            var acc = bias?[o] ?? 0
            var known = true
            for c in 0..<cinG where nz[o * cinG + c] {
                zeroFilter[o] = false
                guard known else { continue }
                guard let k = xState[g * cinG + c] else { known = false; continue }
                if k == 0 { continue }
                if padded { known = false; continue }
                acc += k * sums[o * cinG + c]
            }
            pre[o] = known ? acc : nil
        }
        let act = node.fused
        states[out] = pre.map { $0.map { ChannelMath.apply(act, $0) } }
        producers.append(Producer(node: i, value: out, zeroFilter: zeroFilter, pre: pre))

        if group == 1 {
            if xs != nil {
                for c in 0..<cin {
                    let reads = (0..<cout).contains { nz[$0 * cin + c] }
                    self.reads.append(Read(node: i, value: x, channel: c, nonZero: reads, foldable: !padded, op: "Conv", padded: padded))
                }
            }
        } else if cinG == 1 && cout % cin == 0, let s = xs {
            // Depthwise (channel multiplier m): input c and outputs c*m..<c*m+m go together.
            let m = cout / cin
            for c in 0..<cin { for j in 0..<m { union(s.element(c), outSpace.element(c * m + j)) } }
            let b = bias
            links[x, default: []].append(Link(node: i, from: x, to: out, mapping: .expand(m), transfer: { o, v in
                guard let k = v else { return nil }
                var acc = b?[o] ?? 0
                if nz[o] && k != 0 {
                    if padded { return nil }
                    acc += k * sums[o]
                }
                return ChannelMath.apply(act, acc)
            }, feeds: nil, breaks: "constant channel before padded consumer"))
        } else {
            if let s = xs { pin(s, "pinned by grouped Conv") }
            pin(outSpace, "pinned by grouped Conv")
        }
    }

    func convTranspose(_ i: Int, _ node: Node) {
        let x = node.input(0), out = node.outputs[0]
        guard node.outputs.count == 1, let wT = graph.constants[node.input(1)], wT.shape.count == 4,
              node.input(2).isEmpty || isConstant(node.input(2)) else {
            pinAll(node, "pinned by ConvTranspose (non-constant weights)"); return
        }
        let w = wT.floats
        let bias = node.input(2).isEmpty ? nil : graph.constants[node.input(2)]!.floats
        let cin = wT.shape[0], coutG = wT.shape[1], spatial = wT.shape[2] * wT.shape[3]
        let group = max(1, node.int("group", 1))
        let cout = coutG * group
        let outSpace = fresh(cout, axis: 1)
        spaces[out] = outSpace
        var xs = spaces[x]
        if let s = xs, !(s.axis == 1 && s.block == 1 && s.count == cin && group == 1) {
            pin(s, group == 1 ? "pinned by ConvTranspose" : "pinned by grouped ConvTranspose")
            xs = nil
        }
        if group != 1 { pin(outSpace, "pinned by grouped ConvTranspose") }
        let xState = xs.flatMap { _ in states[x] } ?? [Float?](repeating: nil, count: cin)
        let (nz, _) = Self.kernelSums(w, rows: cin, cols: coutG, spatial: spatial)
        var zeroFilter = [Bool](repeating: true, count: cout)
        var pre = [Float?](repeating: nil, count: cout)
        let perGroupIn = cin / group
        for o in 0..<cout {
            let g = o / coutG, j = o % coutG
            var known = true
            for c in (g * perGroupIn)..<((g + 1) * perGroupIn) where nz[c * coutG + j] {
                zeroFilter[o] = false
                // A constant input gives a non-uniform output (overlap counts vary).
                if xState[c] != 0 { known = false }
            }
            pre[o] = known ? (bias?[o] ?? 0) : nil
        }
        let act = node.fused
        states[out] = pre.map { $0.map { ChannelMath.apply(act, $0) } }
        producers.append(Producer(node: i, value: out, zeroFilter: zeroFilter, pre: pre))
        if xs != nil {
            for c in 0..<cin {
                let reads = (0..<coutG).contains { nz[c * coutG + $0] }
                self.reads.append(Read(node: i, value: x, channel: c, nonZero: reads, foldable: false, op: "ConvTranspose", padded: false))
            }
        }
    }

    /// Per-column value of a Gemm's beta * C (nil where it differs between rows); nil
    /// when C is not a constant (then nothing can be folded into it).
    func gemmBias(_ node: Node, n: Int) -> [Float?]? {
        let beta = node.float("beta", 1)
        guard !node.input(2).isEmpty else { return [Float?](repeating: 0, count: n) }
        guard let c = graph.constants[node.input(2)] else { return nil }
        let f = c.floats
        if c.count == 1 { return [Float?](repeating: f[0] * beta, count: n) }
        if c.shape.last == n {
            let rows = c.count / n
            return (0..<n).map { col in
                let v = f[col]
                for r in 1..<max(1, rows) where f[r * n + col] != v { return nil }
                return v * beta
            }
        }
        // [M, 1]: one value per row.
        let v = f[0]
        return [Float?](repeating: f.allSatisfy { $0 == v } ? v * beta : nil, count: n)
    }

    func gemm(_ i: Int, _ node: Node) {
        let a = node.input(0), out = node.outputs[0]
        guard node.outputs.count == 1, let bT = graph.constants[node.input(1)], bT.shape.count == 2, !isConstant(a) else {
            pinAll(node, "pinned by Gemm (non-constant B)"); return
        }
        let transA = node.int("transA", 0) != 0, transB = node.int("transB", 0) != 0
        let alpha = node.float("alpha", 1)
        let k = transB ? bT.shape[1] : bT.shape[0], n = transB ? bT.shape[0] : bT.shape[1]
        let b = bT.floats
        func at(_ f: Int, _ col: Int) -> Float { transB ? b[col * k + f] : b[f * n + col] }
        let outSpace = fresh(n, axis: 1)
        spaces[out] = outSpace
        let biasInfo = gemmBias(node, n: n)
        if biasInfo == nil { pin(outSpace, "pinned by Gemm (non-constant C)") }
        var As = spaces[a]
        if let s = As, !(s.axis == 1 && !transA && shape(a).count == 2 && s.count * s.block == k) {
            pin(s, "pinned by Gemm")
            As = nil
        }
        let blk = As?.block ?? 1, chans = k / blk
        let aState = As.flatMap { _ in states[a] } ?? [Float?](repeating: nil, count: chans)
        var zeroFilter = [Bool](repeating: true, count: n)
        var pre = [Float?](repeating: nil, count: n)
        var readsChannel = [Bool](repeating: false, count: chans)
        for col in 0..<n {
            var acc: Float = 0
            var known = (biasInfo?[col] ?? nil) != nil
            for c in 0..<chans {
                var any = false
                var s: Float = 0
                for f in (c * blk)..<((c + 1) * blk) {
                    let v = at(f, col)
                    if v != 0 { any = true }
                    s += v
                }
                guard any else { continue }
                zeroFilter[col] = false
                readsChannel[c] = true
                guard let kv = aState[c] else { known = false; continue }
                acc += kv * s
            }
            if known, let bias = biasInfo?[col] ?? nil { pre[col] = alpha * acc + bias }
        }
        let act = node.fused
        states[out] = pre.map { $0.map { ChannelMath.apply(act, $0) } }
        producers.append(Producer(node: i, value: out, zeroFilter: zeroFilter, pre: pre))
        if As != nil {
            for c in 0..<chans {
                reads.append(Read(node: i, value: a, channel: c, nonZero: readsChannel[c], foldable: biasInfo != nil, op: "Gemm", padded: false))
            }
        }
    }

    /// The Add node and input index of the constant that acts as a MatMul's bias: the
    /// MatMul's only reader is Add(y, C) with C constant along the last axis (N or 1 wide)
    /// and nothing fused into the MatMul.
    func matMulBias(_ i: Int, _ node: Node, n: Int) -> (node: Int, input: Int)? {
        let out = node.outputs[0]
        guard node.fused == nil, !graph.outputs.contains(out) else { return nil }
        let readers = graph.nodes.indices.filter { graph.nodes[$0].inputs.contains(out) }
        guard readers.count == 1, let j = readers.first, graph.nodes[j].opType == "Add", graph.nodes[j].inputs.count == 2 else { return nil }
        let add = graph.nodes[j]
        guard let k = add.inputs.firstIndex(where: { $0 != out }), add.inputs.filter({ $0 == out }).count == 1,
              let c = graph.constants[add.inputs[k]], !c.isInteger,
              c.shape.count <= shape(out).count, c.count == 1 || (c.shape.last == n && c.count == n) else { return nil }
        return (j, k)
    }

    func matMul(_ i: Int, _ node: Node) {
        let a = node.input(0), out = node.outputs[0]
        let aShape = shape(a), outShape = shape(out)
        guard node.outputs.count == 1, let bT = graph.constants[node.input(1)], bT.shape.count == 2, !isConstant(a),
              aShape.count >= 2, outShape.count >= 2 else {
            pinAll(node, "pinned by MatMul"); return
        }
        let k = bT.shape[0], n = bT.shape[1]
        let b = bT.floats
        let outSpace = fresh(n, axis: outShape.count - 1)
        spaces[out] = outSpace
        var As = spaces[a]
        if let s = As, !(s.axis == aShape.count - 1 && s.count * s.block == k) {
            pin(s, "pinned by MatMul")
            As = nil
        }
        let blk = As?.block ?? 1, chans = k / blk
        let aState = As.flatMap { _ in states[a] } ?? [Float?](repeating: nil, count: chans)
        var zeroFilter = [Bool](repeating: true, count: n)
        var pre = [Float?](repeating: nil, count: n)
        var readsChannel = [Bool](repeating: false, count: chans)
        for col in 0..<n {
            var acc: Float = 0
            var known = true
            for c in 0..<chans {
                var any = false
                var s: Float = 0
                for f in (c * blk)..<((c + 1) * blk) {
                    let v = b[f * n + col]
                    if v != 0 { any = true }
                    s += v
                }
                guard any else { continue }
                zeroFilter[col] = false
                readsChannel[c] = true
                guard let kv = aState[c] else { known = false; continue }
                acc += kv * s
            }
            if known { pre[col] = acc }
        }
        let act = node.fused
        states[out] = pre.map { $0.map { ChannelMath.apply(act, $0) } }
        producers.append(Producer(node: i, value: out, zeroFilter: zeroFilter, pre: pre))
        if As != nil {
            // MatMul has no bias; a constant channel folds only into an Add of a constant
            // right after it (the Linear layer some exporters write as MatMul + Add).
            let bias = matMulBias(i, node, n: n)
            if let b = bias { matMulFolds[i] = b }
            for c in 0..<chans {
                reads.append(Read(node: i, value: a, channel: c, nonZero: readsChannel[c], foldable: bias != nil, op: "MatMul", padded: false))
            }
        }
    }

    // MARK: per-channel ops

    func batchNorm(_ i: Int, _ node: Node) {
        let x = node.input(0)
        guard let xs = spaces[x], xs.axis == 1, xs.block == 1,
              let affine = try? BatchNormFolding.affine(node, graph), affine.scale.count == xs.count else {
            pinAll(node, "pinned by BatchNormalization"); return
        }
        for k in 1...4 { constSlices.append(ConstSlice(node: i, input: k, axis: 0, block: 1, space: x)) }
        let act = node.fused
        let (scale, shift) = affine
        perChannel(i, node, from: x, to: node.outputs[0]) { c, v in
            v.map { ChannelMath.apply(act, $0 * scale[c] + shift[c]) }
        }
    }

    func pool(_ i: Int, _ node: Node) {
        let x = node.input(0)
        guard let xs = spaces[x], xs.axis < 2 else { pinAll(node, "pinned by \(node.opType)"); return }
        if node.opType == "AveragePool", node.int("count_include_pad", 0) != 0,
           (node.ints("pads") ?? []).contains(where: { $0 != 0 }) {
            perChannel(i, node, from: x, to: node.outputs[0], breaks: "constant channel before padded consumer") { _, v in
                v == 0 ? 0 : nil
            }
            return
        }
        perChannel(i, node, from: x, to: node.outputs[0]) { _, v in v }
    }

    func pad(_ i: Int, _ node: Node) {
        let x = node.input(0)
        let rank = shape(x).count
        guard let xs = spaces[x], let pads = node.ints("edge.pads"), pads.count == 2 * rank,
              pads[xs.axis] == 0, pads[xs.axis + rank] == 0 else {
            pinAll(node, "pinned by Pad"); return
        }
        let mode = node.string("mode", "constant")
        var value: Float = 0
        if case .float(let v)? = node.attributes["edge.value"] { value = v }
        if mode != "constant" || !pads.contains(where: { $0 != 0 }) {
            perChannel(i, node, from: x, to: node.outputs[0]) { _, v in v }
        } else {
            perChannel(i, node, from: x, to: node.outputs[0], breaks: "constant channel before padded consumer") { _, v in
                v == value ? value : nil
            }
        }
    }

    func slice(_ i: Int, _ node: Node) {
        let x = node.input(0)
        guard let xs = spaces[x], let resolved = node.ints("edge.slice") else { pinAll(node, "pinned by Slice"); return }
        let inS = shape(x), outS = shape(node.outputs[0])
        let a = xs.axis
        guard 2 * a + 1 < resolved.count, inS[a] == outS[a], resolved[2 * a] == 0, resolved[2 * a + 1] == 1 else {
            pinAll(node, "pinned by Slice on the channel axis"); return
        }
        perChannel(i, node, from: x, to: node.outputs[0]) { _, v in v }
    }

    func split(_ i: Int, _ node: Node) {
        let x = node.input(0)
        guard let xs = spaces[x] else { pinAll(node, "pinned by Split"); return }
        let axis = node.int("axis", 0)
        let xState = states[x] ?? [Float?](repeating: nil, count: xs.count)
        if axis != xs.axis {
            for out in node.outputs where !out.isEmpty {
                spaces[out] = xs
                states[out] = xState
                links[x, default: []].append(Link(node: i, from: x, to: out, mapping: .same, transfer: { _, v in v },
                                                  feeds: "Split", breaks: "group member alive"))
            }
            return
        }
        let sizes = node.outputs.map { shape($0).isEmpty ? 0 : shape($0)[axis] }
        guard sizes.allSatisfy({ $0 % xs.block == 0 }), sizes.reduce(0, +) == xs.count * xs.block else {
            pinAll(node, "pinned by Split"); return
        }
        splitFixes.append(i)
        var offset = 0
        for (k, out) in node.outputs.enumerated() {
            let count = sizes[k] / xs.block
            if !out.isEmpty {
                spaces[out] = Space(axis: xs.axis, count: count, block: xs.block, base: xs.base + offset)
                states[out] = Array(xState[offset..<(offset + count)])
                links[x, default: []].append(Link(node: i, from: x, to: out, mapping: .shift(-offset), transfer: { _, v in v },
                                                  feeds: "Split", breaks: "group member alive"))
            }
            offset += count
        }
    }

    func concat(_ i: Int, _ node: Node) {
        let ins = node.inputs.filter { !$0.isEmpty }
        let out = node.outputs[0]
        let axis = node.int("axis", 0)
        let ss = ins.compactMap { spaces[$0] }
        guard !ins.isEmpty, ss.count == ins.count, !ins.contains(where: isConstant) else {
            pinAll(node, "pinned by Concat"); return
        }
        let block = ss[0].block
        if ss.allSatisfy({ $0.axis == axis && $0.block == block }) {
            let total = ss.reduce(0) { $0 + $1.count }
            let o = fresh(total, axis: axis, block: block)
            spaces[out] = o
            var state: [Float?] = []
            var offset = 0
            for (v, s) in zip(ins, ss) {
                for c in 0..<s.count { union(s.element(c), o.element(offset + c)) }
                state += states[v] ?? [Float?](repeating: nil, count: s.count)
                links[v, default: []].append(Link(node: i, from: v, to: out, mapping: .shift(offset), transfer: { _, v in v },
                                                  feeds: "Concat", breaks: "group member alive"))
                offset += s.count
            }
            states[out] = state
            return
        }
        let first = ss[0]
        guard ss.allSatisfy({ $0.axis == first.axis && $0.axis != axis && $0.count == first.count && $0.block == block }) else {
            pinAll(node, "pinned by Concat"); return
        }
        let o = fresh(first.count, axis: first.axis, block: block)
        spaces[out] = o
        var state = [Float?](repeating: nil, count: first.count)
        for c in 0..<first.count {
            let vals = ins.map { states[$0]?[c] ?? nil }
            if let v0 = vals[0], vals.allSatisfy({ $0 == v0 }) { state[c] = v0 }
        }
        for (v, s) in zip(ins, ss) {
            for c in 0..<s.count { union(s.element(c), o.element(c)) }
            links[v, default: []].append(Link(node: i, from: v, to: out, mapping: .same, transfer: { _, v in v == 0 ? 0 : nil },
                                              feeds: "Concat", breaks: "group member alive"))
        }
        states[out] = state
    }

    func elementwise(_ i: Int, _ node: Node) {
        let op = node.opType
        let out = node.outputs[0]
        let outShape = shape(out)
        let rank = outShape.count
        let ins = node.inputs.enumerated().filter { !$0.element.isEmpty }
        let variable = ins.filter { !isConstant($0.element) }
        guard !variable.isEmpty, rank > 0, variable.allSatisfy({ spaces[$0.element] != nil }) else {
            pinAll(node, "pinned by \(op)"); return
        }
        // The output's channel axis: from the operands that are not broadcast along it.
        var axis: Int? = nil
        var full: [(Int, String, Space)] = []
        var broadcast: [String] = []
        for (k, v) in variable {
            let s = spaces[v]!
            let a = s.axis + (rank - shape(v).count)
            if shape(v)[s.axis] == outShape[a] && (s.count * s.block == outShape[a]) {
                if axis == nil { axis = a }
                guard axis == a else { pinAll(node, "pinned by \(op)"); return }
                full.append((k, v, s))
            } else {
                broadcast.append(v)
            }
        }
        guard let ca = axis, let lead = full.first?.2,
              full.allSatisfy({ $0.2.count == lead.count && $0.2.block == lead.block }) else {
            pinAll(node, "pinned by \(op)"); return
        }
        for v in broadcast { pin(value: v, "pinned by broadcast \(op)") }
        let count = lead.count, block = lead.block
        // Constant operands: per-channel values (nil where they vary within a channel).
        var constValues: [Int: [Float?]] = [:]
        for (k, v) in ins where isConstant(v) {
            let t = graph.constants[v]!
            let tr = t.shape.count
            guard tr <= rank else { pinAll(node, "pinned by \(op)"); return }
            let padded = [Int](repeating: 1, count: rank - tr) + t.shape
            let f = t.floats
            let along = padded[ca]
            guard along == 1 || along == count * block else { pinAll(node, "pinned by \(op)"); return }
            if along > 1 {
                constSlices.append(ConstSlice(node: i, input: k, axis: ca - (rank - tr), block: block, space: out))
            }
            let onlyChannel = padded.enumerated().allSatisfy { $0.offset == ca || $0.element == 1 }
            if !onlyChannel {
                constValues[k] = [Float?](repeating: nil, count: count)
            } else if along == 1 {
                constValues[k] = [Float?](repeating: f[0], count: count)
            } else {
                constValues[k] = (0..<count).map { c in
                    let v0 = f[c * block]
                    for j in 1..<max(1, block) where f[c * block + j] != v0 { return nil }
                    return v0
                }
            }
        }
        var s = lead
        s.axis = ca
        spaces[out] = s
        for (_, _, o) in full.dropFirst() { for c in 0..<count { union(lead.element(c), o.element(c)) } }
        let act = node.fused
        let order = ins.map { $0.offset }
        var state = [Float?](repeating: nil, count: count)
        for c in 0..<count {
            let vals: [Float?] = order.map { k in
                if let cv = constValues[k] { return cv[c] }
                let v = node.inputs[k]
                if full.contains(where: { $0.0 == k }) { return states[v]?[c] ?? nil }
                return nil  // broadcast operand
            }
            state[c] = ChannelMath.elementwise(op, vals).map { ChannelMath.apply(act, $0) }
        }
        states[out] = state
        for (k, v, _) in full {
            let transfer: (Int, Float?) -> Float?
            if full.count == 1 && broadcast.isEmpty {
                // One tensor and constants: the exact per-channel function.
                transfer = { c, x in
                    let vals: [Float?] = order.map { j in j == k ? x : (constValues[j]?[c] ?? nil) }
                    return ChannelMath.elementwise(op, vals).map { ChannelMath.apply(act, $0) }
                }
            } else if op == "Add" || op == "Sum" || op == "Sub" {
                transfer = { _, x in x }  // this operand's own contribution passes through
            } else if op == "Mul" || (op == "Div" && k == order.first) {
                transfer = { _, x in x == 0 ? 0 : nil }
            } else {
                transfer = { _, _ in nil }
            }
            links[v, default: []].append(Link(node: i, from: v, to: out, mapping: .same, transfer: transfer,
                                              feeds: feedsLabel(node), breaks: "group member alive"))
        }
    }

    func reshape(_ i: Int, _ node: Node) {
        let x = node.input(0), out = node.outputs[0]
        guard let xs = spaces[x], xs.count > 0 else { pinAll(node, "pinned by \(node.opType)"); return }
        let inS = shape(x), outS = shape(out)
        let a = xs.axis
        let outer = inS[..<a].reduce(1, *)
        let total = xs.count * xs.block * inS[(a + 1)...].reduce(1, *)
        var candidates: [Int] = []
        for d in 0..<outS.count where outS[..<d].reduce(1, *) == outer && outS[d] > 0 && outS[d] % xs.count == 0
            && outS[d...].reduce(1, *) == total {
            candidates.append(d)
        }
        guard var d = candidates.first else { pinAll(node, "pinned by \(node.opType) (mixes channels)"); return }
        if candidates.contains(a) { d = a }
        if node.opType == "Reshape" {
            guard let target = graph.constants[node.input(1)]?.ints.map({ Int($0) }), target.count == outS.count else {
                pinAll(node, "pinned by Reshape"); return
            }
            let allowZero = node.int("allowzero", 0) != 0
            for (j, t) in target.enumerated() where t == 0 && !allowZero {
                // A copied dimension must stay right: copying the channel dim is fine only in place.
                if (j == a) != (j == d) || (j == d && outS[d] / xs.count != xs.block) {
                    pinAll(node, "pinned by Reshape"); return
                }
            }
            if target[d] > 0 { reshapeFixes[i] = d }
        }
        perChannel(i, node, from: x, to: out, axis: d) { _, v in v }
        spaces[out]!.block = outS[d] / xs.count
    }

    func reduce(_ i: Int, _ node: Node) {
        let x = node.input(0)
        guard let xs = spaces[x], let axes = node.ints("edge.axes"), !axes.contains(xs.axis) else {
            pinAll(node, "pinned by \(node.opType)"); return
        }
        let keep = node.int("keepdims", 1) != 0
        let a = keep ? xs.axis : xs.axis - axes.filter { $0 < xs.axis }.count
        let inS = shape(x)
        let n = Float(axes.map { inS[$0] }.reduce(1, *))
        let sum = node.opType == "ReduceSum"
        perChannel(i, node, from: x, to: node.outputs[0], axis: a) { _, v in sum ? v.map { $0 * n } : v }
    }

    func softmax(_ i: Int, _ node: Node) {
        let x = node.input(0)
        let rank = shape(x).count
        guard let xs = spaces[x], rank > 0 else { pinAll(node, "pinned by \(node.opType)"); return }
        var axis = node.int("axis", graph.opset >= 13 ? -1 : 1)
        if axis < 0 { axis += rank }
        let mixes = graph.opset >= 13 ? axis == xs.axis : xs.axis >= axis
        guard !mixes else { pinAll(node, "pinned by \(node.opType) over channels"); return }
        perChannel(i, node, from: x, to: node.outputs[0]) { _, _ in nil }
    }
}
