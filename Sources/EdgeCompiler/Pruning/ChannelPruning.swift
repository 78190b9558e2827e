import EdgeFormat
import Foundation

/// Structured pruning: physically removes channels that cannot change any output.
///
/// Runs after BatchNormFolding and ActivationFusion (BN is folded into weights and
/// biases, activations are `fused` or `edge.Activation` nodes) and before dead-node
/// elimination and lowering. `ChannelAnalysis` builds the channel groups and what is
/// known about each channel's contents; then a group is removed when nothing outside it
/// can observe it:
///   * no graph input/output, no op the analysis does not understand (pins), and
///   * every node that sums over the group's channels with a non-zero weight (Conv,
///     ConvTranspose, Gemm, MatMul) sees there either an exact zero, or a constant it can
///     fold into its bias exactly (an unpadded group-1 Conv, a Gemm, a MatMul followed by
///     an Add of a constant).
/// Removal slices producer filters and biases, consumer weight columns, depthwise
/// channels, per-channel constants (standalone BN, Add/Mul operands), fixes Reshape
/// targets, Split sizes and Resize sizes, and updates `graph.shapes`.
public enum ChannelPruning {
    /// Prunes `graph` in place. Throws only on an internal inconsistency, and then leaves
    /// the graph unchanged (a caller may go on without pruning).
    public static func run(_ graph: Graph, _ options: PruningOptions = PruningOptions()) throws -> PruningReport {
        let start = Date()
        var report = PruningReport(roundChannels: options.roundChannels)
        let before = Stats.collect(graph)

        let analysis = ChannelAnalysis(graph)
        analysis.run()
        let decision = Decision(analysis, roundChannels: options.roundChannels)
        report.groupsTotal = decision.roots.count
        report.groupsRemoved = decision.roots.filter { decision.removed[$0] == true }.count

        // Why all-zero filters stay (computed on the unmodified graph).
        for p in analysis.producers {
            let name = graph.nodes[p.node].name
            for (o, zero) in p.zeroFilter.enumerated() where zero {
                let root = analysis.find(analysis.spaces[p.value]!.element(o))
                guard decision.removed[root] != true else { continue }
                let reason = decision.reason(for: p, channel: o, root: root)
                report.keptZeroFilters.append(PruningReport.KeptFilter(layer: name, channel: o, reason: reason))
                report.keptReasons[reason, default: 0] += 1
            }
        }

        // Rewrite; on any inconsistency leave the graph exactly as it was.
        let saved = (graph.nodes, graph.shapes, graph.constants)
        let rewriter = Rewriter(graph, analysis, decision)
        do {
            try rewriter.apply()
            try verifyShapes(graph)
        } catch {
            (graph.nodes, graph.shapes, graph.constants) = saved
            throw error
        }
        report.foldedConstantChannels = rewriter.folded

        let after = Stats.collect(graph)
        for (name, b) in before.layers {
            let a = after.byName[name] ?? b
            report.layers.append(PruningReport.Layer(
                name: name, op: b.op, channelsBefore: b.channels, channelsAfter: a.channels,
                paramsBefore: b.params, paramsAfter: a.params, flopsBefore: b.flops, flopsAfter: a.flops))
            if ["Conv", "ConvTranspose", "Gemm", "MatMul"].contains(b.op) { report.channelsRemoved += b.channels - a.channels }
        }
        report.paramsBefore = before.params
        report.paramsAfter = after.params
        report.flopsBefore = before.flops
        report.flopsAfter = after.flops
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// Re-infers every node's output shapes and checks them against `graph.shapes`.
    static func verifyShapes(_ graph: Graph) throws {
        let inference = ShapeInference(graph: graph, opset: graph.opset)
        for node in graph.nodes {
            let outs: [[Int]]
            if node.opType == "edge.Activation" {
                outs = [try graph.shape(node.input(0))]
            } else {
                var copy = node
                outs = try inference.inferAndResolve(&copy)
            }
            for (k, v) in node.outputs.enumerated() where !v.isEmpty && k < outs.count {
                guard graph.shapes[v] == outs[k] else {
                    throw EdgeError(.shape, "channel pruning: \(node.label) output '\(v)' has shape \(outs[k]) after pruning, recorded \(graph.shapes[v] ?? [])")
                }
            }
        }
    }
}

// MARK: - decision

/// Which groups go, after pins, observers, rounding and the one-channel minimum.
final class Decision {
    let analysis: ChannelAnalysis
    var roots: [Int] = []
    var removed: [Int: Bool] = [:]
    var pinReason: [Int: String] = [:]
    var restoredBy: [Int: String] = [:]
    /// value -> indices into analysis.reads
    var readIndex: [String: [Int]] = [:]

    init(_ a: ChannelAnalysis, roundChannels: Int) {
        analysis = a
        collectGroups()
        var blocked = Set<Int>()
        for read in a.reads where read.nonZero {
            guard let s = a.spaces[read.value] else { continue }
            let state = a.states[read.value]?[read.channel] ?? nil
            let ok = state == 0 || (state != nil && read.foldable)
            if !ok { blocked.insert(a.find(s.element(read.channel))) }
        }
        for r in roots { removed[r] = pinReason[r] == nil && !blocked.contains(r) }
        enforceCounts(roundChannels)
    }

    /// An explicit choice (`ChannelGroups.remove`): exactly the unpinned groups in
    /// `chosen` go, whatever their weights, keeping at least one channel per value.
    init(_ a: ChannelAnalysis, removing chosen: Set<Int>) {
        analysis = a
        collectGroups()
        for r in roots { removed[r] = pinReason[r] == nil && chosen.contains(r) }
        enforceCounts(1)
    }

    private func collectGroups() {
        let a = analysis
        for (k, r) in a.reads.enumerated() { readIndex[r.value, default: []].append(k) }
        var seen = Set<Int>()
        for e in 0..<a.parent.count {
            let r = a.find(e)
            if seen.insert(r).inserted { roots.append(r) }
        }
        for (e, reason) in a.pins.sorted(by: { $0.key < $1.key }) {
            let r = a.find(e)
            if pinReason[r] == nil { pinReason[r] = reason }
        }
    }

    /// Every value losing channels keeps a multiple of `n` (and at least one channel).
    func enforceCounts(_ n: Int) {
        let a = analysis
        let values = a.spaces.keys.sorted()
        var changed = true
        while changed {
            changed = false
            for v in values {
                let s = a.spaces[v]!
                let removedHere = (0..<s.count).filter { removed[a.find(s.element($0))] == true }
                guard !removedHere.isEmpty else { continue }
                let left = s.count - removedHere.count
                var need = 0
                var why = "rounding"
                if left == 0 {
                    need = min(n, s.count)
                    why = n > 1 ? "rounding" : "at least one channel kept"
                } else if left % n != 0 {
                    need = n - left % n
                }
                guard need > 0 else { continue }
                // Restore the highest-numbered removed channels first.
                var restored = 0
                for c in removedHere.reversed() where restored < need {
                    let r = a.find(s.element(c))
                    guard removed[r] == true else { continue }
                    removed[r] = false
                    restoredBy[r] = why
                    restored += 1
                }
                changed = true
            }
        }
    }

    /// Why the all-zero filter `channel` of producer `p` stays.
    func reason(for p: ChannelAnalysis.Producer, channel o: Int, root: Int) -> String {
        if let pin = pinReason[root] { return pin }
        if let why = restoredBy[root] { return why }
        let a = analysis
        let node = a.graph.nodes[p.node]
        let own = a.states[p.value]?[o] ?? nil
        if let pre = p.pre[o], pre == 0, own != 0, let act = node.fused { return "feeds \(ChannelMath.name(act))" }
        // Follow this channel's own contribution through the group.
        var queue: [(String, Int, Float?)] = [(p.value, o, own)]
        var visited = Set<String>()
        var head = 0
        while head < queue.count {
            let (v, c, s) = queue[head]
            head += 1
            guard visited.insert("\(v)#\(c)").inserted else { continue }
            for r in readIndex[v] ?? [] {
                let read = a.reads[r]
                guard read.channel == c && read.nonZero else { continue }
                guard let k = s else { return "group member alive" }
                if k != 0 && !read.foldable {
                    return read.padded ? "constant channel before padded consumer" : "constant channel before \(read.op)"
                }
            }
            for link in a.links[v] ?? [] {
                let outs: [Int]
                switch link.mapping {
                case .same: outs = [c]
                case .shift(let k): outs = [c + k]
                case .expand(let m): outs = Array((c * m)..<(c * m + m))
                }
                guard let outSpace = a.spaces[link.to] else { continue }
                for oc in outs where oc >= 0 && oc < outSpace.count {
                    let next = link.transfer(oc, s)
                    if s == 0 && next != 0, let label = link.feeds { return "feeds \(label)" }
                    if s != nil && next == nil && s != 0 { return link.breaks }
                    queue.append((link.to, oc, next))
                }
            }
        }
        return "group member alive"
    }
}

// MARK: - rewrite

final class Rewriter {
    let graph: Graph
    let analysis: ChannelAnalysis
    let decision: Decision
    var folded = 0

    init(_ graph: Graph, _ analysis: ChannelAnalysis, _ decision: Decision) {
        self.graph = graph
        self.analysis = analysis
        self.decision = decision
    }

    func isRemoved(_ s: ChannelAnalysis.Space, _ c: Int) -> Bool { decision.removed[analysis.find(s.element(c))] == true }

    /// Kept channel indices of `v`, or nil when nothing is removed.
    func keep(_ v: String) -> [Int]? {
        guard let s = analysis.spaces[v] else { return nil }
        let kept = (0..<s.count).filter { !isRemoved(s, $0) }
        return kept.count == s.count ? nil : kept
    }

    func features(_ channels: [Int], block: Int) -> [Int] {
        channels.flatMap { c in (c * block)..<(c * block + block) }
    }

    func freshName(_ base: String) -> String {
        var name = base
        var k = 1
        while graph.constants[name] != nil || graph.shapes[name] != nil {
            name = "\(base)_\(k)"
            k += 1
        }
        return name
    }

    /// Constants replaced by sliced copies (dropped at the end when nothing reads them).
    var replaced = Set<String>()

    func setInput(_ i: Int, _ k: Int, _ t: HostTensor, _ role: String) {
        if k < graph.nodes[i].inputs.count, !graph.nodes[i].inputs[k].isEmpty { replaced.insert(graph.nodes[i].inputs[k]) }
        let name = freshName("\(graph.nodes[i].name)::pruned.\(role)")
        graph.constants[name] = t
        graph.shapes[name] = t.shape
        while graph.nodes[i].inputs.count <= k { graph.nodes[i].inputs.append("") }
        graph.nodes[i].inputs[k] = name
    }

    /// Keeps `indices` along `axis` of a tensor.
    static func take(_ t: HostTensor, axis: Int, _ indices: [Int]) -> HostTensor {
        let outer = t.shape[..<axis].reduce(1, *), dim = t.shape[axis], inner = t.shape[(axis + 1)...].reduce(1, *)
        // Most slices keep everything along one of the two axes they are asked about.
        if indices.count == dim && indices.elementsEqual(0..<dim) { return t }
        let f = t.floats
        var out = [Float](repeating: 0, count: outer * indices.count * inner)
        if !out.isEmpty { f.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var at = 0
                for o in 0..<outer {
                    for j in indices {
                        (dst.baseAddress! + at).update(from: src.baseAddress! + (o * dim + j) * inner, count: inner)
                        at += inner
                    }
                }
            }
        } }
        var shape = t.shape
        shape[axis] = indices.count
        return HostTensor(shape: shape, floats: out)
    }

    func apply() throws {
        // Weights first (folds need the original weights), then shapes.
        for i in graph.nodes.indices {
            switch graph.nodes[i].opType {
            case "Conv": try conv(i)
            case "ConvTranspose": try convTranspose(i)
            case "Gemm": try gemm(i)
            case "MatMul": try matMul(i)
            default: break
            }
        }
        for cs in analysis.constSlices {
            guard let s = analysis.spaces[cs.space], let kept = keep(cs.space) else { continue }
            let name = graph.nodes[cs.node].input(cs.input)
            guard let t = graph.constants[name] else { continue }
            _ = s
            setInput(cs.node, cs.input, Self.take(t, axis: cs.axis, features(kept, block: cs.block)), "c\(cs.input)")
        }
        for (i, dim) in analysis.reshapeFixes {
            let node = graph.nodes[i]
            guard let s = analysis.spaces[node.outputs[0]], let kept = keep(node.outputs[0]),
                  var target = graph.constants[node.input(1)] else { continue }
            var ints = target.ints
            ints[dim] = Int64(kept.count * s.block)
            target.data = .int(ints)
            setInput(i, 1, target, "shape")
        }
        for i in analysis.splitFixes {
            let node = graph.nodes[i]
            guard node.outputs.contains(where: { keep($0) != nil }) || keep(node.input(0)) != nil else { continue }
            let sizes = node.outputs.map { v -> Int64 in
                guard let s = analysis.spaces[v] else { return 0 }
                return Int64((keep(v)?.count ?? s.count) * s.block)
            }
            if graph.opset >= 13 {
                setInput(i, 1, HostTensor(shape: [sizes.count], ints: sizes), "split")
            } else {
                graph.nodes[i].attributes["split"] = .ints(sizes)
            }
        }
        for i in analysis.resizeFixes {
            let node = graph.nodes[i]
            guard let s = analysis.spaces[node.input(0)], let kept = keep(node.input(0)),
                  var sizes = graph.constants[node.input(3)], sizes.count > s.axis else { continue }
            var ints = sizes.ints
            ints[s.axis] = Int64(kept.count * s.block)
            sizes.data = .int(ints)
            setInput(i, 3, sizes, "sizes")
        }
        // Shapes of every value that lost channels.
        for (v, s) in analysis.spaces {
            guard let kept = keep(v), var shape = graph.shapes[v] else { continue }
            shape[s.axis] = kept.count * s.block
            graph.shapes[v] = shape
        }
        // Drop the original weights nothing reads any more.
        var used = Set(graph.outputs)
        for node in graph.nodes { used.formUnion(node.inputs) }
        for name in replaced where !used.contains(name) {
            graph.constants[name] = nil
            graph.shapes[name] = nil
        }
    }

    /// The folded contribution of removed constant input channels (value k, weight sums).
    func constantOf(_ v: String, _ c: Int) -> Float {
        (analysis.states[v]?[c] ?? nil) ?? 0
    }

    func conv(_ i: Int) throws {
        let node = graph.nodes[i]
        guard let wT = graph.constants[node.input(1)], wT.shape.count >= 3 else { return }
        let x = node.input(0), out = node.outputs[0]
        let group = node.int("group", 1)
        let cout = wT.shape[0], cinG = wT.shape[1], spatial = wT.shape[2...].reduce(1, *)
        let outKeep = keep(out)
        var inKeep: [Int]? = nil
        var delta = [Float](repeating: 0, count: cout)
        var anyFold = false
        if group == 1, let kept = keep(x) {
            inKeep = kept
            let keptSet = Set(kept)
            let w = wT.floats
            for c in 0..<cinG where !keptSet.contains(c) {
                let k = constantOf(x, c)
                guard k != 0 else { continue }
                var used = false
                for o in 0..<cout {
                    var s: Float = 0
                    for j in 0..<spatial {
                        let v = w[(o * cinG + c) * spatial + j]
                        if v != 0 { used = true }
                        s += v
                    }
                    delta[o] += k * s
                }
                if used { folded += 1; anyFold = true }
            }
        }
        guard outKeep != nil || inKeep != nil else { return }
        var w = wT
        if let ok = outKeep { w = Self.take(w, axis: 0, ok) }
        if let ik = inKeep { w = Self.take(w, axis: 1, ik) }
        setInput(i, 1, w, "weight")
        var bias: HostTensor? = node.input(2).isEmpty ? nil : graph.constants[node.input(2)]
        if anyFold {
            var b = bias?.floats ?? [Float](repeating: 0, count: cout)
            for o in 0..<cout { b[o] += delta[o] }
            bias = HostTensor(shape: [cout], floats: b)
        }
        if var b = bias {
            if let ok = outKeep { b = Self.take(HostTensor(shape: [cout], floats: b.floats), axis: 0, ok) }
            setInput(i, 2, b, "bias")
        }
        if group > 1 && cinG == 1 {
            // Depthwise (other grouped convs are pinned): one group per remaining input channel.
            graph.nodes[i].attributes["group"] = .int(Int64(keep(x)?.count ?? group))
        }
    }

    func convTranspose(_ i: Int) throws {
        let node = graph.nodes[i]
        guard let wT = graph.constants[node.input(1)], wT.shape.count == 4, node.int("group", 1) == 1 else { return }
        let outKeep = keep(node.outputs[0]), inKeep = keep(node.input(0))
        guard outKeep != nil || inKeep != nil else { return }
        var w = wT
        if let ik = inKeep { w = Self.take(w, axis: 0, ik) }
        if let ok = outKeep { w = Self.take(w, axis: 1, ok) }
        setInput(i, 1, w, "weight")
        if let ok = outKeep, !node.input(2).isEmpty, let b = graph.constants[node.input(2)] {
            setInput(i, 2, Self.take(b, axis: 0, ok), "bias")
        }
    }

    func gemm(_ i: Int) throws {
        let node = graph.nodes[i]
        guard let bT = graph.constants[node.input(1)], bT.shape.count == 2 else { return }
        let a0 = node.input(0), out = node.outputs[0]
        let transB = node.int("transB", 0) != 0
        let alpha = node.float("alpha", 1), beta = node.float("beta", 1)
        let k = transB ? bT.shape[1] : bT.shape[0], n = transB ? bT.shape[0] : bT.shape[1]
        let outKeep = keep(out)
        var featureKeep: [Int]? = nil
        var delta = [Float](repeating: 0, count: n)
        var anyFold = false
        if let s = analysis.spaces[a0], let kept = keep(a0) {
            featureKeep = features(kept, block: s.block)
            let keptSet = Set(kept)
            let b = bT.floats
            for c in 0..<s.count where !keptSet.contains(c) {
                let kv = constantOf(a0, c)
                guard kv != 0 else { continue }
                var used = false
                for col in 0..<n {
                    var sum: Float = 0
                    for f in (c * s.block)..<((c + 1) * s.block) {
                        let v = transB ? b[col * k + f] : b[f * n + col]
                        if v != 0 { used = true }
                        sum += v
                    }
                    delta[col] += alpha * kv * sum
                }
                if used { folded += 1; anyFold = true }
            }
        }
        guard outKeep != nil || featureKeep != nil else { return }
        var b = bT
        if let fk = featureKeep { b = Self.take(b, axis: transB ? 1 : 0, fk) }
        if let ok = outKeep { b = Self.take(b, axis: transB ? 0 : 1, ok) }
        setInput(i, 1, b, "B")
        // C: fold (as beta * C + delta with beta = 1), then slice its columns.
        var c: HostTensor? = node.input(2).isEmpty ? nil : graph.constants[node.input(2)]
        if anyFold {
            if let old = c, old.count > 1, old.shape.last == n {
                let rows = old.count / n
                var f = old.floats.map { $0 * beta }
                for r in 0..<rows { for col in 0..<n { f[r * n + col] += delta[col] } }
                c = HostTensor(shape: old.shape, floats: f)
            } else if let old = c, old.count > 1 {
                // [M, 1]: expand to [M, N].
                let rows = old.count
                let f = old.floats
                c = HostTensor(shape: [rows, n], floats: (0..<(rows * n)).map { f[$0 / n] * beta + delta[$0 % n] })
            } else {
                let base = (c?.floats.first ?? 0) * (c == nil ? 0 : beta)
                c = HostTensor(shape: [n], floats: delta.map { $0 + base })
            }
            graph.nodes[i].attributes["beta"] = .float(1)
        }
        if var cc = c {
            if let ok = outKeep, cc.count > 1, cc.shape.last == n { cc = Self.take(cc, axis: cc.shape.count - 1, ok) }
            if anyFold || outKeep != nil { setInput(i, 2, cc, "C") }
        }
    }

    func matMul(_ i: Int) throws {
        let node = graph.nodes[i]
        guard let bT = graph.constants[node.input(1)], bT.shape.count == 2 else { return }
        let a0 = node.input(0), out = node.outputs[0]
        let n = bT.shape[1]
        let outKeep = keep(out)
        var featureKeep: [Int]? = nil
        if let s = analysis.spaces[a0], let kept = keep(a0) {
            featureKeep = features(kept, block: s.block)
            // Constant channels fold into the Add after the MatMul.
            let keptSet = Set(kept)
            let b = bT.floats
            var delta = [Float](repeating: 0, count: n)
            var anyFold = false
            for c in 0..<s.count where !keptSet.contains(c) {
                let kv = constantOf(a0, c)
                guard kv != 0 else { continue }
                var used = false
                for f in (c * s.block)..<((c + 1) * s.block) {
                    for col in 0..<n where b[f * n + col] != 0 {
                        used = true
                        delta[col] += kv * b[f * n + col]
                    }
                }
                if used { folded += 1; anyFold = true }
            }
            if anyFold {
                guard let (j, input) = analysis.matMulFolds[i], let c = graph.constants[graph.nodes[j].input(input)] else {
                    throw EdgeError(.shape, "channel pruning: \(node.label) has no bias to fold a constant channel into")
                }
                if c.count == 1 {
                    // A scalar becomes per-column (no slice is registered for it: slice here).
                    var t = HostTensor(shape: [n], floats: delta.map { $0 + c.floats[0] })
                    if let ok = outKeep { t = Self.take(t, axis: 0, ok) }
                    setInput(j, input, t, "bias")
                } else {
                    let f = c.floats
                    setInput(j, input, HostTensor(shape: c.shape, floats: (0..<f.count).map { f[$0] + delta[$0 % n] }), "bias")
                }
            }
        }
        guard outKeep != nil || featureKeep != nil else { return }
        var b = bT
        if let fk = featureKeep { b = Self.take(b, axis: 0, fk) }
        if let ok = outKeep { b = Self.take(b, axis: 1, ok) }
        setInput(i, 1, b, "B")
    }
}

// MARK: - statistics

/// Params and FLOPs per weight-holding node, from shapes (as the runtime will store them).
struct Stats {
    struct LayerCost {
        var op: String
        var channels: Int
        var params: Int
        var flops: Int
    }

    var layers: [(String, LayerCost)] = []
    var byName: [String: LayerCost] = [:]
    var params = 0
    var flops = 0

    static func collect(_ graph: Graph) -> Stats {
        var st = Stats()
        var counted = Set<String>()
        for node in graph.nodes {
            let out = node.outputs.first ?? ""
            let os = graph.shapes[out] ?? []
            let numel = os.reduce(1, *)
            var p = 0
            var f = 0
            func weight(_ v: String) -> Int {
                guard !v.isEmpty, let t = graph.constants[v] else { return 0 }
                return t.count
            }
            var own = 0
            switch node.opType {
            case "Conv", "ConvTranspose":
                let w = graph.shapes[node.input(1)] ?? [0, 0]
                own = weight(node.input(1)) + weight(node.input(2))
                let kernel = w.count > 2 ? w[2...].reduce(1, *) : 1
                if node.opType == "Conv" {
                    f = 2 * numel * (w.count > 1 ? w[1] : 0) * kernel
                } else {
                    let xs = graph.shapes[node.input(0)] ?? []
                    f = 2 * xs.reduce(1, *) * (w.count > 1 ? w[1] : 0) * kernel
                }
            case "Gemm":
                let b = graph.shapes[node.input(1)] ?? [0, 0]
                let k = node.int("transB", 0) != 0 ? b[1] : b[0]
                own = weight(node.input(1)) + weight(node.input(2))
                f = 2 * numel * k
            case "MatMul":
                let b = graph.shapes[node.input(1)] ?? [0]
                own = weight(node.input(0)) + weight(node.input(1))
                f = 2 * numel * (b.count >= 2 ? b[b.count - 2] : 1)
            case "BatchNormalization":
                own = 2 * (graph.shapes[node.input(1)]?.reduce(1, *) ?? 0)
                f = 2 * numel
            case _ where ChannelMath.elementwiseOps.contains(node.opType):
                for v in node.inputs where graph.constants[v] != nil { own += weight(v) }
                f = numel * max(1, node.inputs.count - 1)
            case "MaxPool", "AveragePool":
                f = numel * (node.ints("kernel_shape") ?? [1]).reduce(1, *)
            case "GlobalAveragePool", "GlobalMaxPool":
                f = (graph.shapes[node.input(0)] ?? []).reduce(1, *)
            case "edge.Activation":
                f = numel
            default:
                f = 0
            }
            p = own
            if ["Conv", "ConvTranspose", "Gemm", "MatMul"].contains(node.opType), node.fused != nil { f += numel }
            st.flops += f
            // Totals count each constant once (shared weights), BN's scale + shift per node.
            if node.opType == "BatchNormalization" {
                st.params += p
            } else {
                for v in node.inputs where !v.isEmpty && graph.constants[v] != nil && !["Reshape", "Resize", "Split", "Pad", "Slice", "Squeeze", "Unsqueeze", "Clip"].contains(node.opType) {
                    if counted.insert(v).inserted { st.params += weight(v) }
                }
            }
            if p > 0 {
                let channels = os.isEmpty ? 0 : (node.opType == "MatMul" ? os[os.count - 1] : os[min(1, os.count - 1)])
                let layer = LayerCost(op: node.opType, channels: channels, params: p, flops: f)
                st.layers.append((node.name, layer))
                st.byName[node.name] = layer
            }
        }
        return st
    }
}
