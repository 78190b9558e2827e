/// `concat`, `split`, `softmax`. ints [axis] (non-negative; below the rank, which the
/// layer checks)
public struct AxisParams: OpRecord {
    public var axis: Int64

    public init(axis: Int64) {
        self.axis = axis
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 1, floats: 0)
        axis = op.ints[0]
    }

    public var ints: [Int64] { [axis] }
    public var floats: [Float] { [] }
}

/// `slice` over a rank-`r` X. ints [start0, step0, start1, step1, ...] (steps may be negative)
public struct SliceParams: OpRecord {
    public var starts: [Int64]
    public var steps: [Int64]

    public init(starts: [Int64], steps: [Int64]) {
        self.starts = starts
        self.steps = steps
    }

    public init(_ op: OpDescription, rank: Int) throws(EdgeError) {
        try op.checkLists(ints: 2 * rank, floats: 0)
        var starts: [Int64] = [], steps: [Int64] = []
        for d in 0..<rank {
            starts.append(op.ints[2 * d])
            steps.append(op.ints[2 * d + 1])
        }
        self.init(starts: starts, steps: steps)
    }

    public var ints: [Int64] {
        var v: [Int64] = []
        for d in 0..<starts.count { v += [starts[d], steps[d]] }
        return v
    }
    public var floats: [Float] { [] }
}

/// `transpose` over a rank-`r` X. ints [perm0, perm1, ...]
public struct TransposeParams: OpRecord {
    public var perm: [Int64]

    public init(perm: [Int64]) {
        self.perm = perm
    }

    public init(_ op: OpDescription, rank: Int) throws(EdgeError) {
        try op.checkLists(ints: rank, floats: 0)
        perm = op.ints
    }

    public var ints: [Int64] { perm }
    public var floats: [Float] { [] }
}

/// `pad` over a rank-`r` X. ints [mode, begin0, ..., begin(r-1), end0, ..., end(r-1)];
/// floats [value]
public struct PadParams: OpRecord {
    public var mode: PadMode
    public var begins: [Int64]
    public var ends: [Int64]
    public var value: Float

    public init(mode: PadMode, begins: [Int64], ends: [Int64], value: Float) {
        self.mode = mode
        self.begins = begins
        self.ends = ends
        self.value = value
    }

    public init(_ op: OpDescription, rank: Int) throws(EdgeError) {
        try op.checkLists(ints: 1 + 2 * rank, floats: 1)
        guard let mode = PadMode(rawValue: op.ints[0]) else {
            throw EdgeError(.format, "op '\(op.name)': unknown pad mode \(op.ints[0])")
        }
        self.init(mode: mode, begins: Array(op.ints[1..<1 + rank]), ends: Array(op.ints[1 + rank..<1 + 2 * rank]),
                  value: op.floats[0])
    }

    public var ints: [Int64] { [mode.rawValue] + begins + ends }
    public var floats: [Float] { [value] }
}

/// `reduceMean` over a rank-`r` X. ints [axis0, axis1, ...] (1 to r of them; the layer
/// checks they ascend below the rank)
public struct ReduceMeanParams: OpRecord {
    public var axes: [Int64]

    public init(axes: [Int64]) {
        self.axes = axes
    }

    public init(_ op: OpDescription, rank: Int) throws(EdgeError) {
        guard !op.ints.isEmpty, op.ints.count <= rank else {
            throw EdgeError(.format, "op '\(op.name)': expected 1 to \(rank) axes, found \(op.ints.count)")
        }
        try op.checkLists(ints: op.ints.count, floats: 0)
        axes = op.ints
    }

    public var ints: [Int64] { axes }
    public var floats: [Float] { [] }
}
