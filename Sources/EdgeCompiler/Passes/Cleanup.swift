import EdgeFormat

/// Removes nodes that compute nothing at inference: Identity, Dropout, a float->float
/// Cast; then every node no graph output depends on.
enum Cleanup {
    static func removeIdentities(_ graph: Graph) {
        var i = 0
        while i < graph.nodes.count {
            let node = graph.nodes[i]
            let isIdentity = node.opType == "Identity" || node.opType == "Dropout"
                || (node.opType == "Cast" && [1].contains(node.int("to", 0)))
            guard isIdentity, let input = node.inputs.first, !input.isEmpty else { i += 1; continue }
            let output = node.outputs[0]
            if graph.outputs.contains(output) {
                // Keep the graph output's name: give it to the producer of the input,
                // unless that value is itself a graph input/output (then keep a copy).
                guard let p = graph.producer(of: input), !graph.outputs.contains(input),
                      graph.consumers(of: input).count == 1 else { i += 1; continue }
                let k = graph.nodes[p].outputs.firstIndex(of: input)!
                graph.nodes[p].outputs[k] = output
                graph.nodes.remove(at: i)
                i = 0
                continue
            }
            graph.nodes.remove(at: i)
            graph.rename(output, to: input)
        }
    }

    static func removeDeadNodes(_ graph: Graph) {
        var needed = Set(graph.outputs)
        var keep = [Bool](repeating: false, count: graph.nodes.count)
        for i in stride(from: graph.nodes.count - 1, through: 0, by: -1) {
            let node = graph.nodes[i]
            if node.outputs.contains(where: { needed.contains($0) }) {
                keep[i] = true
                for v in node.inputs where !v.isEmpty { needed.insert(v) }
            }
        }
        graph.nodes = graph.nodes.indices.filter { keep[$0] }.map { graph.nodes[$0] }
    }
}
