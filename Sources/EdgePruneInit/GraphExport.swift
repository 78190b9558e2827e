import EdgeCompiler
import EdgeFormat

/// The compiler's graph back as an ONNX model: the reverse of `Graph.from` for a graph
/// that only went through shape propagation and channel removal (no fusion).
///
/// Constants become initializers (Constant nodes folded by propagation included); the
/// nodes keep the source's attributes; weights the channel rewriter replaced
/// by sliced copies get their original names back, so a training framework sees the
/// parameter names it exported. Graph inputs and outputs keep their value infos (their
/// shapes do not change: they are pinned).
enum GraphExport {
    static func model(_ graph: Graph, original: OnnxModel, before: [Node], metadata: [String: String]) -> OnnxModel {
        // New constant name -> the name it replaced, when that name is free again.
        var rename: [String: String] = [:]
        var taken = Set(graph.constants.keys)
        for node in graph.nodes { taken.formUnion(node.outputs) }
        if before.count == graph.nodes.count {
            for (old, new) in zip(before, graph.nodes) {
                for (a, b) in zip(old.inputs, new.inputs) where a != b && rename[b] == nil {
                    guard graph.constants[b] != nil, !taken.contains(a) else { continue }
                    rename[b] = a
                    taken.insert(a)
                }
            }
        }
        let originalTypes = Dictionary(original.graph.initializers.map { ($0.name, $0.dataType) }, uniquingKeysWith: { a, _ in a })
        var initializers: [OnnxTensor] = []
        var written = Set<String>()
        var nodes: [OnnxNode] = []
        var sourceAttributes: [String: [String: OnnxAttribute]] = [:]
        for (i, n) in original.graph.nodes.enumerated() { sourceAttributes[n.name.isEmpty ? "\(n.opType)_\(i)" : n.name] = n.attributes }
        for node in graph.nodes {
            let inputs = node.inputs.map { rename[$0] ?? $0 }
            for (name, exported) in zip(node.inputs, inputs) where !name.isEmpty {
                guard let t = graph.constants[name], written.insert(exported).inserted else { continue }
                let data: OnnxTensorData
                switch t.data {
                case .float(let f): data = .float(f)
                case .int(let i): data = .int64(i)
                }
                let type = originalTypes[exported] ?? (t.isInteger ? OnnxDataType.int64 : OnnxDataType.float)
                initializers.append(OnnxTensor(name: exported, dataType: t.isInteger ? type : OnnxDataType.float,
                                               dims: t.shape.map { Int64($0) }, data: data))
            }
            // Shape inference normalizes attributes in place (1-D windows lifted to 2-D,
            // defaults spelled out, e.g. AveragePool dilations before opset 19): write the
            // source's attributes, with what channel removal changes (group, split).
            var attributes = node.attributes.filter { !$0.key.hasPrefix("edge.") }
            if let source = sourceAttributes[node.name] {
                attributes = source
                for key in ["group", "split"] where node.attributes[key] != nil { attributes[key] = node.attributes[key] }
            }
            nodes.append(OnnxNode(name: node.name, opType: node.opType, domain: node.domain,
                                  inputs: inputs, outputs: node.outputs, attributes: attributes))
        }
        let runtime = Set(graph.inputs)
        let g = OnnxGraph(
            name: original.graph.name, nodes: nodes, initializers: initializers,
            inputs: original.graph.inputs.filter { runtime.contains($0.name) },
            outputs: original.graph.outputs, valueInfo: [])
        // What described the source model's weights does not describe the pruned one.
        var meta = original.metadata.filter { !["edge.accuracy", "edge.sparsity", "edge.variant"].contains($0.key) }
        for (k, v) in metadata { meta[k] = v }
        return OnnxModel(irVersion: original.irVersion, opsets: original.opsets, producerName: original.producerName,
                         producerVersion: original.producerVersion, metadata: meta, graph: g)
    }
}
