/// `gemm`. ints [act, transA]; floats [alpha, beta] (of the activation)
public struct GemmParams: OpRecord {
    public var activation: FusedActivation
    public var transA: Bool

    public init(activation: FusedActivation = .none, transA: Bool = false) {
        self.activation = activation
        self.transA = transA
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 2, floats: 2)
        activation = try FusedActivation(prefixOf: op)
        guard op.ints[1] == 0 || op.ints[1] == 1 else {
            throw EdgeError(.format, "op '\(op.name)': transA must be 0 or 1, found \(op.ints[1])")
        }
        transA = op.ints[1] == 1
    }

    public var ints: [Int64] { [activation.kind.rawValue, transA ? 1 : 0] }
    public var floats: [Float] { [activation.alpha, activation.beta] }
}
