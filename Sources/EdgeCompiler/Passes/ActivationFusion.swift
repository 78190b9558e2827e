import EdgeFormat

/// Moves activations into their producer's epilogue.
///
/// First every activation node (and the two-node forms exporters emit for HardSwish,
/// x * HardSigmoid(x), and SiLU, x * Sigmoid(x)) becomes one `edge.Activation` node;
/// then each is fused into its producer when that producer can apply it (Conv, Gemm,
/// MatMul, elementwise binary, per-channel affine) and nothing else reads the
/// pre-activation value. The rest run as unary ops.
enum ActivationFusion {
    static func run(_ graph: Graph) throws {
        try canonicalize(graph)
        collapseProducts(graph)
        fuse(graph)
    }

    /// The activation a single node computes, if it is one.
    static func activation(of node: Node, _ graph: Graph) throws -> FusedActivation? {
        switch node.opType {
        case "Relu": return FusedActivation(.relu)
        case "Sigmoid": return FusedActivation(.sigmoid)
        case "Tanh": return FusedActivation(.tanh)
        case "LeakyRelu": return FusedActivation(.leakyRelu, alpha: node.float("alpha", 0.01))
        case "HardSigmoid": return FusedActivation(.hardSigmoid, alpha: node.float("alpha", 0.2), beta: node.float("beta", 0.5))
        case "HardSwish": return FusedActivation(.hardSwish, alpha: 1.0 / 6.0, beta: 0.5)
        case "Clip":
            var lo = -Float.infinity, hi = Float.infinity
            if graph.opset >= 11 {
                for (k, name) in node.inputs.enumerated().dropFirst() where !name.isEmpty {
                    guard let c = graph.constants[name]?.scalar else {
                        throw EdgeError(.unsupported, "\(node.label): Clip bounds must be constant scalars")
                    }
                    if k == 1 { lo = c } else { hi = c }
                }
            } else {
                lo = node.float("min", -Float.infinity)
                hi = node.float("max", Float.infinity)
            }
            return FusedActivation(.clip, alpha: lo, beta: hi)
        default:
            return nil
        }
    }

    static func canonicalize(_ graph: Graph) throws {
        for i in graph.nodes.indices {
            if let act = try activation(of: graph.nodes[i], graph) {
                let n = graph.nodes[i]
                graph.nodes[i] = Node(name: n.name, opType: "edge.Activation", inputs: [n.input(0)], outputs: [n.outputs[0]], fused: act)
            }
        }
    }

    /// Mul(x, HardSigmoid(x)) -> HardSwish(x) and Mul(x, Sigmoid(x)) -> Swish(x).
    static func collapseProducts(_ graph: Graph) {
        var i = 0
        while i < graph.nodes.count {
            let mul = graph.nodes[i]
            guard mul.opType == "Mul", mul.fused == nil, mul.inputs.count == 2 else { i += 1; continue }
            var matched = false
            for side in 0..<2 {
                let x = mul.inputs[side], gate = mul.inputs[1 - side]
                guard let g = graph.producer(of: gate), graph.nodes[g].opType == "edge.Activation",
                      graph.nodes[g].inputs[0] == x, let act = graph.nodes[g].fused,
                      graph.consumers(of: gate).count == 1, !graph.outputs.contains(gate) else { continue }
                let combined: FusedActivation
                switch act.kind {
                case .hardSigmoid: combined = FusedActivation(.hardSwish, alpha: act.alpha, beta: act.beta)
                case .sigmoid: combined = FusedActivation(.swish)
                default: continue
                }
                graph.nodes[i] = Node(name: mul.name, opType: "edge.Activation", inputs: [x], outputs: mul.outputs, fused: combined)
                graph.nodes.remove(at: g)
                matched = true
                break
            }
            if matched { i = 0 } else { i += 1 }
        }
    }

    static func fuse(_ graph: Graph) {
        var i = 0
        while i < graph.nodes.count {
            let act = graph.nodes[i]
            guard act.opType == "edge.Activation", let kind = act.fused else { i += 1; continue }
            let x = act.inputs[0]
            guard let p = graph.producer(of: x), OnnxOps.table[graph.nodes[p].opType]?.fusesActivation == true,
                  graph.nodes[p].fused == nil, graph.consumers(of: x).count == 1, !graph.outputs.contains(x),
                  graph.nodes[p].outputs.count == 1 else { i += 1; continue }
            graph.nodes[p].fused = kind
            graph.nodes[p].outputs[0] = act.outputs[0]
            graph.nodes.remove(at: i)
            if p > i { i = 0 }
        }
    }
}
