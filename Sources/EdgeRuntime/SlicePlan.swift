import EdgeFormat

/// Which tensors enter and leave a contiguous range of layers.
///
/// A model split across device, edge and cloud runs as consecutive slices; each slice
/// reads what earlier layers (or the graph inputs) produced and hands on what later
/// layers (or the graph outputs) need. A cut is clean when exactly one tensor crosses
/// it; a cut inside a residual block leaves two (the branch and the shortcut), which
/// `strict` reports as an error.
public struct SlicePlan {
    public var range: Range<Int>
    /// Tensors read inside the range but produced before it (or graph inputs).
    public var inputs: [Int]
    /// Tensors produced inside the range and read after it (or graph outputs).
    public var outputs: [Int]

    public init(model: EdgmModel, range: Range<Int>, strict: Bool) throws(EdgeError) {
        let n = model.ops.count
        guard range.lowerBound >= 0, range.upperBound <= n, !range.isEmpty else {
            throw EdgeError(.invalidArgument, "slice \(range.lowerBound):\(range.upperBound - 1) is outside the model's layers 0:\(n - 1)")
        }
        // One flag byte per tensor instead of a producer table and `contains` scans of the
        // lists and of every later op's inputs (quadratic, and two specialised searches in
        // the device binary).
        let readAfter: UInt8 = 1, entering: UInt8 = 2, leaving: UInt8 = 4, producedLate: UInt8 = 8
        var flags = [UInt8](repeating: 0, count: model.tensors.count)
        for i in range.lowerBound..<n {
            for id in model.ops[i].outputs { flags[Int(id)] |= producedLate }
        }
        // A view (Reshape output) is produced when its base is; bases come first.
        for t in 0..<model.tensors.count where model.tensors[t].aliasOf >= 0 {
            flags[t] = flags[t] & ~producedLate | flags[Int(model.tensors[t].aliasOf)] & producedLate
        }
        for id in model.graph.outputs { flags[Int(id)] |= readAfter }
        for j in range.upperBound..<n {
            for id in model.ops[j].inputs where id >= 0 { flags[Int(id)] |= readAfter }
        }

        var ins: [Int] = []
        var outs: [Int] = []
        for i in range {
            for id in model.ops[i].inputs where id >= 0 {
                let t = Int(id)
                if model.tensors[t].storage == .arena && flags[t] & (producedLate | entering) == 0 {
                    flags[t] |= entering
                    ins.append(t)
                }
            }
            for id in model.ops[i].outputs {
                let t = Int(id)
                if flags[t] & (readAfter | leaving) == readAfter {
                    flags[t] |= leaving
                    outs.append(t)
                }
            }
        }
        if strict {
            func names(_ ids: [Int]) -> String {
                var s = ""
                for (k, t) in ids.enumerated() { s += (k > 0 ? ", " : "") + "'" + model.tensors[t].name + "'" }
                return s
            }
            guard ins.count == 1 else {
                throw EdgeError(.invalidArgument, "slice \(range.lowerBound):\(range.upperBound - 1) is not a clean cut: \(ins.count) tensors enter it (\(names(ins)))")
            }
            guard outs.count == 1 else {
                throw EdgeError(.invalidArgument, "slice \(range.lowerBound):\(range.upperBound - 1) is not a clean cut: \(outs.count) tensors leave it (\(names(outs)))")
            }
        }
        self.range = range
        self.inputs = ins
        self.outputs = outs
    }
}
