/// One op record of a `.edgm` file, decoded at load time.
///
/// Arrays are fine here: they are built once when a model loads, never inside `run`.
public struct OpDescription: Equatable {
    public var code: OpCode
    /// The ONNX node name the op came from (for errors and per-layer reports).
    public var name: String
    /// Tensor ids; -1 marks an absent optional input (e.g. a Conv without bias).
    public var inputs: [Int32]
    public var outputs: [Int32]
    public var ints: [Int64]
    public var floats: [Float]

    public init(code: OpCode, name: String, inputs: [Int32], outputs: [Int32], ints: [Int64], floats: [Float]) {
        self.code = code
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.ints = ints
        self.floats = floats
    }
}
