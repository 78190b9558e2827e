/// Typed views of an op record's `ints` and `floats` (OpCode.swift, Formats/EDGM.md).
///
/// The record is positional on disk; nothing else should be. Each op kind has one params
/// struct here that knows its layout: the compiler builds the struct and writes `ints` /
/// `floats`, the runtime's layers decode it with `init(_ op:)`, which checks the list
/// lengths and the enum-valued fields. Ranges that depend on the tensors (an axis below
/// the rank, a kernel that fits) stay with the layer that knows the shapes.
public protocol OpRecord: Equatable {
    var ints: [Int64] { get }
    var floats: [Float] { get }
}

extension OpDescription {
    /// A record whose lists come from the op's params.
    public init<P: OpRecord>(code: OpCode, name: String, inputs: [Int32], outputs: [Int32], params: P) {
        self.init(code: code, name: name, inputs: inputs, outputs: outputs, ints: params.ints, floats: params.floats)
    }

    /// Exactly `ints` ints and `floats` floats, or a format error naming the op.
    public func checkLists(ints: Int, floats: Int) throws(EdgeError) {
        guard self.ints.count == ints else {
            throw EdgeError(.format, "op '\(name)': expected \(ints) ints, found \(self.ints.count)")
        }
        guard self.floats.count == floats else {
            throw EdgeError(.format, "op '\(name)': expected \(floats) floats, found \(self.floats.count)")
        }
    }
}

extension OpCode {
    /// Ops whose record starts with a fused activation (`ints[0]`, `floats[0...1]`).
    public var carriesActivation: Bool {
        switch self {
        case .conv, .convTranspose, .gemm, .matMul, .binary, .channelAffine: return true
        default: return false
        }
    }
}

extension OpDescription {
    /// The fused activation of an op that carries one, if its record holds a valid one.
    public var fusedActivation: FusedActivation? {
        guard code.carriesActivation, !ints.isEmpty, floats.count >= 2 else { return nil }
        return try? FusedActivation(prefixOf: self)
    }
}

/// An activation applied in a producer's epilogue; in records `ints[0]` (the kind) and
/// `floats[0...1]` (alpha, beta) of every op that carries one.
public struct FusedActivation: Equatable {
    public var kind: ActivationKind
    public var alpha: Float
    public var beta: Float

    public static let none = FusedActivation(.none)

    public init(_ kind: ActivationKind, alpha: Float = 0, beta: Float = 0) {
        self.kind = kind
        self.alpha = alpha
        self.beta = beta
    }

    /// The prefix of a record whose lists have already been length-checked.
    init(prefixOf op: OpDescription) throws(EdgeError) {
        guard let kind = ActivationKind(rawValue: op.ints[0]) else {
            throw EdgeError(.format, "op '\(op.name)': missing or unknown activation kind")
        }
        self.init(kind, alpha: op.floats[0], beta: op.floats[1])
    }
}

/// Ops whose record is only a fused activation: `matMul` and `channelAffine`.
/// ints [act]; floats [alpha, beta]
public struct ActivationParams: OpRecord {
    public var activation: FusedActivation

    public init(activation: FusedActivation = .none) {
        self.activation = activation
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 1, floats: 2)
        activation = try FusedActivation(prefixOf: op)
    }

    public var ints: [Int64] { [activation.kind.rawValue] }
    public var floats: [Float] { [activation.alpha, activation.beta] }
}

/// Ops with an empty record: `globalAveragePool`, `globalMaxPool`, `copy`.
public struct NoParams: OpRecord {
    public init() {}

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 0, floats: 0)
    }

    public var ints: [Int64] { [] }
    public var floats: [Float] { [] }
}
