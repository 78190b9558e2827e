/// `binary`. ints [act, kind]; floats [alpha, beta] (of the activation)
public struct BinaryParams: OpRecord {
    public var kind: BinaryKind
    public var activation: FusedActivation

    public init(_ kind: BinaryKind, activation: FusedActivation = .none) {
        self.kind = kind
        self.activation = activation
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 2, floats: 2)
        activation = try FusedActivation(prefixOf: op)
        guard let kind = BinaryKind(rawValue: op.ints[1]) else {
            throw EdgeError(.format, "op '\(op.name)': unknown binary kind \(op.ints[1])")
        }
        self.kind = kind
    }

    public var ints: [Int64] { [activation.kind.rawValue, kind.rawValue] }
    public var floats: [Float] { [activation.alpha, activation.beta] }
}

/// `unary`. ints [kind]; floats [alpha, beta]
public struct UnaryParams: OpRecord {
    public var kind: UnaryKind
    public var alpha: Float
    public var beta: Float

    public init(_ kind: UnaryKind, alpha: Float = 0, beta: Float = 0) {
        self.kind = kind
        self.alpha = alpha
        self.beta = beta
    }

    /// An activation run on its own (kinds 1...8 share `ActivationKind`'s raw values);
    /// nil for `.none`, which is no unary op.
    public init?(_ activation: FusedActivation) {
        guard let kind = UnaryKind(rawValue: activation.kind.rawValue) else { return nil }
        self.init(kind, alpha: activation.alpha, beta: activation.beta)
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 1, floats: 2)
        guard let kind = UnaryKind(rawValue: op.ints[0]) else {
            throw EdgeError(.format, "op '\(op.name)': unknown unary kind \(op.ints[0])")
        }
        self.init(kind, alpha: op.floats[0], beta: op.floats[1])
    }

    /// The activation this kind is, if it is one (kinds 1...8).
    public var activation: FusedActivation? {
        ActivationKind(rawValue: kind.rawValue).map { FusedActivation($0, alpha: alpha, beta: beta) }
    }

    public var ints: [Int64] { [kind.rawValue] }
    public var floats: [Float] { [alpha, beta] }
}
