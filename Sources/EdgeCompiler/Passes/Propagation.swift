import EdgeFormat

/// Static shapes for every value, and constant folding, in one walk over the graph.
///
/// The two are interleaved on purpose: `Shape(x)` becomes a constant as soon as x's
/// shape is known, which makes the Gather/Concat chain behind it constant, which makes
/// the Reshape it feeds static. Folded nodes are removed.
enum Propagation {
    /// - Parameter inputShapes: concrete shapes for graph inputs (from `--shape`); symbolic
    ///   dims without one are an error, except a leading batch dim, which becomes 1.
    static func run(_ graph: Graph, inputInfo: [OnnxValueInfo], inputShapes: [String: [Int]],
                    notes: inout [String]) throws {
        for (name, c) in graph.constants { graph.shapes[name] = c.shape }
        for name in inputShapes.keys where !graph.inputs.contains(name) {
            throw EdgeError(.invalidArgument, "--shape names '\(name)', which is not a graph input (inputs: \(graph.inputs.joined(separator: ", ")))")
        }
        for name in graph.inputs {
            guard let info = inputInfo.first(where: { $0.name == name }) else { continue }
            if let given = inputShapes[name] {
                if let dims = info.shape {
                    guard dims.count == given.count else {
                        throw EdgeError(.shape, "--shape \(name): rank \(given.count) differs from the model's rank \(dims.count)")
                    }
                    for (d, dim) in dims.enumerated() {
                        if case .value(let v) = dim, v != Int64(given[d]) {
                            throw EdgeError(.shape, "--shape \(name): dimension \(d) is fixed to \(v) in the model, got \(given[d])")
                        }
                    }
                }
                try ShapeInference.validate(given, Node(name: "--shape", opType: "input", inputs: [], outputs: [name]))
                graph.shapes[name] = given
                continue
            }
            guard let dims = info.shape else {
                throw EdgeError(.shape, "input '\(name)' has no shape in the model: pass --shape \(name)=DIMS (e.g. 1x3x224x224)")
            }
            var shape: [Int] = []
            for (d, dim) in dims.enumerated() {
                switch dim {
                case .value(let v) where v >= 0:
                    shape.append(Int(v))
                case .param(let p) where d == 0:
                    notes.append("input '\(name)': batch dimension '\(p)' set to 1 (use --shape to choose)")
                    shape.append(1)
                case .unknown where d == 0:
                    shape.append(1)
                default:
                    let label: String
                    if case .param(let p) = dim { label = "'\(p)'" } else { label = "\(d)" }
                    throw EdgeError(.shape, "input '\(name)' has symbolic dimension \(label): pass --shape \(name)=DIMS (e.g. 1x3x224x224)")
                }
            }
            graph.shapes[name] = shape
        }

        let inference = ShapeInference(graph: graph, opset: graph.opset)
        var kept: [Node] = []
        for var node in graph.nodes {
            for v in node.inputs where !v.isEmpty && graph.shapes[v] == nil {
                throw EdgeError(.format, "\(node.label): input '\(v)' is not produced by any earlier node, initializer or graph input")
            }
            guard let firstOutput = node.outputs.first, !firstOutput.isEmpty else {
                throw EdgeError(.format, "\(node.label): has no output")
            }
            if node.domain != "" && node.domain != "ai.onnx" {
                throw EdgeError(.unsupported, "unsupported operator \(node.opType) (domain \(node.domain)) at node '\(node.name)'")
            }
            if node.opType == "Constant" {
                let value = try ConstantFolder.constantValue(node)
                define(graph, node.outputs[0], value)
                continue
            }
            if node.opType == "Shape" {
                let s = try inference.shape(node.input(0), node)
                let rank = s.count
                var start = node.int("start", 0), end = node.int("end", rank)
                if start < 0 { start += rank }
                if end < 0 { end += rank }
                start = min(max(start, 0), rank)
                end = min(max(end, start), rank)
                define(graph, node.outputs[0], HostTensor(shape: [end - start], ints: s[start..<end].map { Int64($0) }))
                continue
            }
            let present = node.inputs.filter { !$0.isEmpty }
            let allConstant = !present.isEmpty && present.allSatisfy { graph.constants[$0] != nil }
            if allConstant, let values = try ConstantFolder.evaluate(node, node.inputs.map { $0.isEmpty ? nil : graph.constants[$0] }, opset: graph.opset) {
                for (k, out) in node.outputs.enumerated() where !out.isEmpty && k < values.count { define(graph, out, values[k]) }
                continue
            }
            let outShapes = try inference.inferAndResolve(&node)
            for s in outShapes { try ShapeInference.validate(s, node) }
            for (k, out) in node.outputs.enumerated() where !out.isEmpty {
                guard k < outShapes.count else {
                    throw EdgeError(.unsupported, "\(node.label): output \(k) is not supported")
                }
                graph.shapes[out] = outShapes[k]
            }
            if allConstant {
                if let values = try fold(node, graph, outShapes) {
                    for (k, out) in node.outputs.enumerated() where !out.isEmpty { define(graph, out, values[k]) }
                    continue
                }
            }
            kept.append(node)
        }
        graph.nodes = kept
        for out in graph.outputs where graph.shapes[out] == nil {
            throw EdgeError(.format, "graph output '\(out)' is not produced by any node")
        }
    }

    static func define(_ graph: Graph, _ name: String, _ value: HostTensor) {
        graph.constants[name] = value
        graph.shapes[name] = value.shape
    }

    static func fold(_ node: Node, _ graph: Graph, _ outShapes: [[Int]]) throws -> [HostTensor]? {
        let inputs = node.inputs.map { $0.isEmpty ? nil : graph.constants[$0] }
        switch node.opType {
        case "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Identity", "Dropout":
            guard let x = inputs[0] else { return nil }
            var t = x
            t.shape = outShapes[0]
            return [t]
        case "Slice":
            guard let x = inputs[0] else { return nil }
            return [try ConstantFolder.slice(node, x, outShape: outShapes[0])]
        default:
            return nil
        }
    }
}
