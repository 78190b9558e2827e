import EdgeFormat

/// The compiler's channel dependency groups, for tools that choose the channels to remove
/// themselves (`edgec prune`) instead of the lossless rule of `ChannelPruning`.
///
/// A group is one union-find class of `ChannelAnalysis`: channels tied together through
/// residual Adds, Concats, depthwise convs and flatten-into-Gemm, removed all at once or
/// not at all. `remove` runs the same rewriter as the compiler's pass, so the sliced
/// filters, consumer columns, BatchNorm parameters, Reshape targets and Split sizes are
/// exactly what `edgec compile` would produce for the same choice.
public final class ChannelGroups {
    /// Where a value keeps its channels: `count` channels on `axis`, each `block`
    /// consecutive features wide (H*W after a flatten).
    public struct Space: Equatable {
        public let axis: Int
        public let count: Int
        public let block: Int
    }

    public let graph: Graph
    let analysis: ChannelAnalysis
    private var pins: [Int: String] = [:]
    private var used = false

    /// Imports `model` with static shapes and folded constants, but without BatchNorm
    /// folding, activation fusion or identity removal: the graph is still the model's own
    /// ONNX graph (what a training framework should get back).
    public static func prepare(_ model: OnnxModel, inputShapes: [String: [Int]] = [:], notes: inout [String]) throws -> Graph {
        let graph = try Graph.from(model)
        try Propagation.run(graph, inputInfo: model.graph.inputs, inputShapes: inputShapes, notes: &notes)
        return graph
    }

    public init(_ graph: Graph) {
        self.graph = graph
        analysis = ChannelAnalysis(graph)
        analysis.run()
        for (e, reason) in analysis.pins.sorted(by: { $0.key < $1.key }) {
            let r = analysis.find(e)
            if pins[r] == nil { pins[r] = reason }
        }
    }

    public func space(of value: String) -> Space? {
        analysis.spaces[value].map { Space(axis: $0.axis, count: $0.count, block: $0.block) }
    }

    /// The group of channel `channel` of `value` (which must have a space).
    public func group(_ value: String, _ channel: Int) -> Int {
        analysis.find(analysis.spaces[value]!.element(channel))
    }

    /// Why a group cannot be removed (graph input/output, an op the analysis does not
    /// understand), or nil when it can.
    public func pinReason(_ group: Int) -> String? { pins[group] }

    /// Nodes whose output channels are filters (Conv, ConvTranspose, Gemm, MatMul), in
    /// graph order, with their output value.
    public var producers: [(node: Int, value: String)] {
        analysis.producers.map { ($0.node, $0.value) }
    }

    /// Removes exactly the unpinned groups of `groups` (every value keeps at least one
    /// channel) from `graph`, in place, and checks every shape again. On an error the
    /// graph is left as it was. Returns the groups removed. Call once: the analysis
    /// describes the graph before removal.
    @discardableResult
    public func remove(_ groups: Set<Int>) throws -> Set<Int> {
        guard !used else { throw EdgeError(.invalidArgument, "ChannelGroups.remove: the groups describe the graph before an earlier removal") }
        used = true
        let decision = Decision(analysis, removing: groups)
        let saved = (graph.nodes, graph.shapes, graph.constants)
        do {
            try Rewriter(graph, analysis, decision).apply()
            try ChannelPruning.verifyShapes(graph)
        } catch {
            (graph.nodes, graph.shapes, graph.constants) = saved
            throw error
        }
        return Set(decision.roots.filter { decision.removed[$0] == true })
    }
}
