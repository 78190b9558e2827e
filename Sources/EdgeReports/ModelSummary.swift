import EdgeFormat
import EdgeRuntime

/// What `edgec inspect` and `edgec bench` report about a loaded model.
public struct LayerSummary {
    public var index: Int
    public var name: String
    public var op: String
    public var inputs: [String]
    public var outputs: [String]
    public var outputShape: [Int]
    public var params: Int
    public var flops: Int
}

public struct ModelSummary {
    public var layers: [LayerSummary]
    public var params: Int
    public var flops: Int
    public var arenaBytes: Int
    public var arenaLowerBound: Int
    public var scratchBytes: Int
    public var weightBytes: Int
    public var fileBytes: Int
    public var sections: [EdgmSectionInfo]
    public var inputs: [(name: String, shape: [Int])]
    public var outputs: [(name: String, shape: [Int])]
    public var metadata: [MetaEntry]

    public init(_ interpreter: Interpreter, fileBytes: Int) {
        let m = interpreter.model
        var layers: [LayerSummary] = []
        var totalFlops = 0
        var counted = Set<Int32>()
        var params = 0
        for (i, op) in m.ops.enumerated() {
            var p = 0
            for id in op.inputs where id >= 0 && m.tensors[Int(id)].storage == .weight {
                p += m.tensors[Int(id)].elementCount
                if counted.insert(id).inserted { params += m.tensors[Int(id)].elementCount }
            }
            let flops = interpreter.layers[i].flops
            totalFlops += flops
            layers.append(LayerSummary(
                index: i, name: op.name, op: ModelSummary.opName(op),
                inputs: op.inputs.filter { $0 >= 0 }.map { m.tensors[Int($0)].name },
                outputs: op.outputs.map { m.tensors[Int($0)].name },
                outputShape: op.outputs.first.map { m.tensors[Int($0)].shape } ?? [],
                params: p, flops: flops))
        }
        self.layers = layers
        self.params = params
        self.flops = totalFlops
        arenaBytes = m.graph.arenaBytes
        arenaLowerBound = m.graph.arenaLowerBound
        scratchBytes = interpreter.scratch.byteCount
        weightBytes = interpreter.file.weights.count
        self.fileBytes = fileBytes
        sections = interpreter.file.sections
        inputs = m.graph.inputs.map { (m.tensors[Int($0)].name, m.tensors[Int($0)].shape) }
        outputs = m.graph.outputs.map { (m.tensors[Int($0)].name, m.tensors[Int($0)].shape) }
        metadata = m.metadata
    }

    /// The op's name as a user knows it; binary and unary ops show their kind.
    public static func opName(_ op: OpDescription) -> String {
        switch op.code {
        case .binary:
            let kind = (try? BinaryParams(op))?.kind
            return kind.map { "\($0)".capitalized } ?? "Binary"
        case .unary:
            let kind = (try? UnaryParams(op))?.kind
            return kind.map { "\($0)".capitalized } ?? "Unary"
        default:
            var s = op.code.name
            s = s.prefix(1).uppercased() + s.dropFirst()
            return s
        }
    }

    /// " + Relu" style suffix for a fused activation.
    public static func fusedSuffix(_ op: OpDescription) -> String {
        guard let k = op.fusedActivation?.kind, k != .none else { return "" }
        return "+" + "\(k)".capitalized
    }
}
