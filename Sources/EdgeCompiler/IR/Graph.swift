import EdgeFormat

/// A node of the compiler's graph: an ONNX node, possibly rewritten by passes.
///
/// Passes keep ONNX op types and attribute names, so every rewrite reads like the ONNX
/// spec; what the runtime adds (a fused activation, a pre-packed weight) is recorded in
/// `fused` and in the constants a node points at.
public struct Node {
    public var name: String
    public var opType: String
    public var domain: String
    /// Value names; "" for an absent optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: OnnxAttribute]
    /// Activation folded into this node's epilogue by ActivationFusion.
    public var fused: FusedActivation?

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: OnnxAttribute] = [:], fused: FusedActivation? = nil) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
        self.fused = fused
    }

    /// "Conv 'name'" for error messages.
    public var label: String { "\(opType) node '\(name)'" }

    public func int(_ key: String, _ fallback: Int) -> Int {
        if case .int(let v)? = attributes[key] { return Int(v) }
        return fallback
    }

    public func float(_ key: String, _ fallback: Float) -> Float {
        switch attributes[key] {
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: return fallback
        }
    }

    public func ints(_ key: String) -> [Int]? {
        switch attributes[key] {
        case .ints(let v)?: return v.map { Int($0) }
        case .int(let v)?: return [Int(v)]
        default: return nil
        }
    }

    public func floats(_ key: String) -> [Float]? {
        if case .floats(let v)? = attributes[key] { return v }
        return nil
    }

    public func string(_ key: String, _ fallback: String) -> String {
        if case .string(let v)? = attributes[key] { return v }
        return fallback
    }

    /// The i-th input name, or "" when absent.
    public func input(_ i: Int) -> String { i < inputs.count ? inputs[i] : "" }
}

/// The whole model between import and lowering.
public final class Graph {
    public var nodes: [Node]
    /// Runtime inputs in order (initializers excluded).
    public var inputs: [String]
    public var outputs: [String]
    /// Static shape of every value, once ShapeInference has run.
    public var shapes: [String: [Int]] = [:]
    /// Compile-time constants by value name.
    public var constants: [String: HostTensor] = [:]
    public var opset: Int
    public var name: String
    public var metadata: [String: String]

    public init(nodes: [Node], inputs: [String], outputs: [String], opset: Int, name: String, metadata: [String: String]) {
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.opset = opset
        self.name = name
        self.metadata = metadata
    }

    public func isConstant(_ value: String) -> Bool { constants[value] != nil }

    public func shape(_ value: String) throws -> [Int] {
        guard let s = shapes[value] else {
            throw EdgeError(.shape, "no shape known for value '\(value)'")
        }
        return s
    }

    /// Nodes reading `value`, by index.
    public func consumers(of value: String) -> [Int] {
        nodes.indices.filter { nodes[$0].inputs.contains(value) }
    }

    /// Index of the node producing `value`, if any.
    public func producer(of value: String) -> Int? {
        nodes.firstIndex { $0.outputs.contains(value) }
    }

    /// Replaces every use of `old` by `new` (node inputs and graph outputs).
    public func rename(_ old: String, to new: String) {
        for i in nodes.indices {
            for j in nodes[i].inputs.indices where nodes[i].inputs[j] == old {
                nodes[i].inputs[j] = new
            }
        }
        for j in outputs.indices where outputs[j] == old { outputs[j] = new }
    }

    /// Builds the graph from an ONNX model; no rewriting yet.
    public static func from(_ model: OnnxModel) throws -> Graph {
        let g = model.graph
        var constants: [String: HostTensor] = [:]
        for t in g.initializers { constants[t.name] = HostTensor(t) }
        let nodes = g.nodes.enumerated().map { (i, n) in
            Node(name: n.name.isEmpty ? "\(n.opType)_\(i)" : n.name, opType: n.opType, domain: n.domain,
                 inputs: n.inputs, outputs: n.outputs, attributes: n.attributes)
        }
        let graph = Graph(
            nodes: nodes,
            inputs: g.inputs.map(\.name).filter { constants[$0] == nil },
            outputs: g.outputs.map(\.name),
            opset: Int(model.defaultOpset ?? 13),
            name: g.name,
            metadata: model.metadata)
        graph.constants = constants
        return graph
    }
}
