import EdgeCompiler
import EdgeReports
import EdgeFormat
import EdgeRuntime
import Foundation

/// `edgec prune`: remove whole filters from an ONNX model and write a smaller dense ONNX.
///
/// reconvene (structured pruning at initialization, after Reconvene, Eccles et al.):
///   1. draw a seeded initialization (`SeededInit`);
///   2. run unstructured, iterative SynFlow (data-free; `SynapticFlow`) to the target
///      parameter fraction and read off each conv layer's surviving weight fraction: the
///      layers where SynFlow removes the most are the least sensitive to pruning;
///   3. walk the conv layers (channel groups of the compiler's analysis, so a residual
///      group or a Concat is one unit) from the least sensitive, and remove whole filters
///      there, the ones with the least synaptic flow first, until the layer keeps
///      sqrt(d) of its filters where SynFlow kept d of its weights (a layer loses
///      channels on its input side too), stopping as soon as the parameter budget is met
///      (further passes raise the exponent: d^0.75, d, ...);
///   4. remove the chosen groups with the compiler's rewriter, draw a fresh seeded
///      initialization for the new shapes, and write ONNX.
/// l1 (Li et al. 2017, a baseline for trained models): every conv layer loses the same
///   fraction of its filters, those with the smallest L1 norm; the weights are kept
///   (sliced) for fine-tuning.
public struct PruneOptions {
    public enum Method: String, CaseIterable {
        case reconvene, l1
    }

    public var method: Method = .reconvene
    /// Fraction of the dense model's parameters to keep (conv/gemm weights and biases,
    /// counted as `edgec inspect` does after BatchNorm folding), in (0, 1].
    public var keep: Double = 0.25
    public var seed: UInt64 = 0
    /// Directory of .npy input batches: per-channel input magnitudes for the flow.
    public var calibration: String? = nil
    public var inputShapes: [String: [Int]] = [:]
    /// SynFlow pruning rounds (its iterative schedule).
    public var rounds: Int = 20
    /// --method l1 only: draw fresh weights after pruning too.
    public var reinitialize: Bool? = nil

    public init() {}
}

public struct PruneResult {
    public var model: OnnxModel
    public var bytes: [UInt8]
    public var report: PruneReport
}

public enum PruneInit {
    public static func run(path: String, options: PruneOptions) throws -> PruneResult {
        guard options.keep > 0 && options.keep <= 1 && options.keep.isFinite else {
            throw EdgeError(.invalidArgument, "--keep must be a fraction in (0, 1], got \(options.keep)")
        }
        guard options.rounds >= 1 && options.rounds <= 1000 else { throw EdgeError(.invalidArgument, "--rounds must be 1...1000") }
        if options.calibration != nil && options.method != .reconvene {
            throw EdgeError(.invalidArgument, "--calibration is used by --method reconvene only")
        }
        let start = Date()
        let sourceBytes = try FileIO.read(path)
        let onnx = try OnnxReader.read(bytes: sourceBytes)
        var notes: [String] = []
        let graph = try ChannelGroups.prepare(onnx, inputShapes: options.inputShapes, notes: &notes)
        let reinit = options.reinitialize ?? (options.method == .reconvene)
        if options.method == .reconvene { SeededInit.apply(graph, seed: options.seed) }

        let groups = ChannelGroups(graph)
        let counter = ParamCounter(graph, groups)
        let units = Unit.collect(graph, groups)
        guard !units.isEmpty else {
            throw EdgeError(.unsupported, "\(path): no prunable Conv layer (every conv channel is pinned by a graph output or an op the channel analysis does not understand)")
        }
        let dense = counter.total()
        let budget = Int((options.keep * Double(dense)).rounded(.down))
        var report = PruneReport(method: options.method.rawValue, keep: options.keep, seed: options.seed,
                                 scoring: options.method == .reconvene ? PruneReport.reconveneScoring : PruneReport.l1Scoring,
                                 budgetParams: budget, countedParamsBefore: dense)
        report.calibration = options.calibration

        var choice = Choice(counter)
        switch options.method {
        case .reconvene:
            let input = try options.calibration.map { try Calibration.magnitudes(directory: $0, graph: graph, groups: groups) } ?? [:]
            let synflow = try SynFlowMask(graph, groups, keep: options.keep, rounds: options.rounds, input: input)
            Reconvene.choose(units, synflow, budget: budget, &choice)
            for u in units {
                report.units.append(PruneReport.Unit(layers: u.producers.map { graph.nodes[$0].name }, channelsBefore: u.count,
                                                     channelsAfter: u.count - choice.removedIn(u),
                                                     synflowDensity: synflow.density(u), sensitivityRank: 0))
            }
            let order = units.indices.sorted { (synflow.density(units[$0]), $0) < (synflow.density(units[$1]), $1) }
            for (rank, k) in order.enumerated() { report.units[k].sensitivityRank = rank + 1 }
        case .l1:
            L1Pruning.choose(units, graph, groups, budget: budget, &choice)
            for u in units {
                report.units.append(PruneReport.Unit(layers: u.producers.map { graph.nodes[$0].name }, channelsBefore: u.count,
                                                     channelsAfter: u.count - choice.removedIn(u), synflowDensity: nil, sensitivityRank: nil))
            }
        }
        report.countedParamsAfter = counter.total(choice.removed)
        if report.countedParamsAfter > budget {
            notes.append("the budget of \(budget) params is not reachable with at least one channel per layer; kept \(report.countedParamsAfter)")
        }

        let before = graph.nodes
        try groups.remove(choice.removed)
        if reinit { SeededInit.apply(graph, seed: options.seed &+ 0x5EED) }
        let meta = [
            "edge.prune.method": options.method.rawValue, "edge.prune.keep": "\(options.keep)",
            "edge.prune.seed": "\(options.seed)", "edge.prune.initialized": reinit ? "seeded" : "source weights",
        ]
        let model = GraphExport.model(graph, original: onnx, before: before, metadata: meta)
        let bytes = try OnnxWriter.serialize(model)

        // Totals as `edgec inspect` shows them for the compiled models.
        let (pb, fb) = try inspectTotals(sourceBytes, options)
        let (pa, fa) = try inspectTotals(bytes, options)
        report.paramsBefore = pb
        report.paramsAfter = pa
        report.flopsBefore = fb
        report.flopsAfter = fa
        report.onnxParamsBefore = onnx.graph.initializers.reduce(0) { $0 + ($1.int64s == nil ? $1.elementCount : 0) }
        report.onnxParamsAfter = model.graph.initializers.reduce(0) { $0 + ($1.int64s == nil ? $1.elementCount : 0) }
        report.notes = notes
        report.seconds = Date().timeIntervalSince(start)
        return PruneResult(model: model, bytes: bytes, report: report)
    }

    static func inspectTotals(_ bytes: [UInt8], _ options: PruneOptions) throws -> (params: Int, flops: Int) {
        var o = CompileOptions()
        o.inputShapes = options.inputShapes
        let compiled = try Compiler.compile(onnxBytes: bytes, name: "prune", options: o)
        let summary = ModelSummary(try Interpreter(bytes: compiled.bytes), fileBytes: compiled.bytes.count)
        return (summary.params, summary.flops)
    }
}

/// One prunable layer: the Conv producers whose output channels share groups (a residual
/// stage is one unit), and its unpinned groups in channel order.
struct Unit {
    var producers: [Int]
    var groups: [Int]
    var count: Int

    static func collect(_ graph: Graph, _ groups: ChannelGroups) -> [Unit] {
        var units: [Unit] = []
        var unitOf: [Int: Int] = [:]   // group -> unit index
        var excluded = Set<Int>()      // groups reached by a non-Conv producer
        for (node, value) in groups.producers {
            guard let s = groups.space(of: value) else { continue }
            let gs = (0..<s.count).map { groups.group(value, $0) }
            if graph.nodes[node].opType != "Conv" { excluded.formUnion(gs); continue }
            let hits = Set(gs.compactMap { unitOf[$0] }).sorted()
            var u = Unit(producers: [node], groups: [], count: 0)
            for h in hits.reversed() {
                u.producers = units[h].producers + u.producers
                u.groups = units[h].groups + u.groups
                units[h].producers = []
            }
            var seen = Set(u.groups)
            for g in gs where seen.insert(g).inserted { u.groups.append(g) }
            let k = units.count
            units.append(u)
            for g in u.groups { unitOf[g] = k }
        }
        return units.filter { !$0.producers.isEmpty }.compactMap { u in
            var u = u
            u.producers.sort()
            u.count = u.groups.count
            u.groups = u.groups.filter { groups.pinReason($0) == nil && !excluded.contains($0) }
            return u.groups.isEmpty ? nil : u
        }
    }
}

/// Which groups go, with the parameter count kept up to date.
struct Choice {
    let counter: ParamCounter
    var removed = Set<Int>()
    private var removedPerValue: [String: Int] = [:]

    init(_ counter: ParamCounter) { self.counter = counter }

    func removedIn(_ u: Unit) -> Int { u.groups.filter { removed.contains($0) }.count }

    /// Every value keeps at least one channel.
    func canRemove(_ g: Int) -> Bool {
        guard !removed.contains(g) else { return false }
        for v in counter.values(of: g) where counter.channels(v) - (removedPerValue[v] ?? 0) <= 1 { return false }
        return true
    }

    mutating func remove(_ g: Int) {
        removed.insert(g)
        for v in counter.values(of: g) { removedPerValue[v, default: 0] += 1 }
    }

    var params: Int { counter.total(removedPerValue: removedPerValue) }
}

/// Parameters of the Conv / Gemm / MatMul weights and biases for a set of removed
/// groups, from the shapes (what the compiled model stores; BatchNorm folds into the conv).
struct ParamCounter {
    let graph: Graph
    let groups: ChannelGroups
    private var groupValues: [Int: [String]] = [:]
    private var counts: [String: Int] = [:]
    private var blocks: [String: Int] = [:]

    init(_ graph: Graph, _ groups: ChannelGroups) {
        self.graph = graph
        self.groups = groups
        var relevant = Set<String>()
        for node in graph.nodes where ["Conv", "Gemm", "MatMul"].contains(node.opType) {
            relevant.insert(node.input(0))
            relevant.insert(node.outputs[0])
        }
        for v in relevant.sorted() {
            guard let s = groups.space(of: v) else { continue }
            counts[v] = s.count
            blocks[v] = s.block
            for c in 0..<s.count { groupValues[groups.group(v, c), default: []].append(v) }
        }
    }

    func values(of g: Int) -> [String] { groupValues[g] ?? [] }
    func channels(_ v: String) -> Int { counts[v] ?? 0 }

    func total(_ removed: Set<Int> = []) -> Int {
        var per: [String: Int] = [:]
        for g in removed { for v in values(of: g) { per[v, default: 0] += 1 } }
        return total(removedPerValue: per)
    }

    func total(removedPerValue r: [String: Int]) -> Int {
        var sum = 0
        var counted = Set<String>()
        for node in graph.nodes {
            let x = node.input(0), y = node.outputs.first ?? ""
            func kept(_ v: String, _ full: Int) -> Int { counts[v] == nil ? full : full - (r[v] ?? 0) * (blocks[v] ?? 1) }
            switch node.opType {
            case "Conv":
                guard let w = graph.constants[node.input(1)], w.shape.count >= 3, counted.insert(node.input(1)).inserted else { continue }
                let spatial = w.shape[2...].reduce(1, *)
                let group = node.int("group", 1)
                let cout = kept(y, w.shape[0])
                let cin = group == 1 ? kept(x, w.shape[1]) : w.shape[1]
                sum += cout * cin * spatial
                if !node.input(2).isEmpty { sum += cout }
            case "Gemm", "MatMul":
                guard let b = graph.constants[node.input(1)], b.shape.count == 2, counted.insert(node.input(1)).inserted else { continue }
                let transB = node.opType == "Gemm" && node.int("transB", 0) != 0
                let k = kept(x, transB ? b.shape[1] : b.shape[0]), n = kept(y, transB ? b.shape[0] : b.shape[1])
                sum += k * n
                if node.opType == "Gemm", let c = graph.constants[node.input(2)] { sum += c.count > 1 ? c.count / max(1, c.shape.last ?? 1) * n : 1 }
            default:
                break
            }
        }
        return sum
    }
}
