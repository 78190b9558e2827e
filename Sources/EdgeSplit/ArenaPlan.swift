/// The activation arena of a slice: where each arena tensor of a `ModelDraft` lives.
///
/// The original model's plan cannot simply be reused: a tail's entering tensor must
/// stay intact for the whole run (graph inputs do, Formats/EDGM.md), and Transfer Layer
/// tensors are new. So the slice gets its own plan, the same greedy-by-size placement
/// over lifetimes the compiler uses (TFLite Micro's), without in-place merges: a view
/// shares its base's bytes, everything else whose lifetimes overlap gets disjoint bytes.
struct ArenaPlan {
    var offsets: [Int]
    var arenaBytes: Int
    var lowerBound: Int

    static let alignment = 64

    init(_ draft: ModelDraft) {
        let n = draft.tensors.count
        func root(_ t: Int) -> Int {
            var r = t
            while draft.tensors[r].aliasOf >= 0 { r = draft.tensors[r].aliasOf }
            return r
        }
        // Lifetime of each buffer (a root and its views) in op steps; graph inputs are
        // live from before the first op, graph outputs until after the last.
        var first = [Int](repeating: Int.max, count: n)
        var last = [Int](repeating: Int.min, count: n)
        var bytes = [Int](repeating: 0, count: n)
        func touch(_ t: Int, _ step: Int) {
            let r = root(t)
            first[r] = Swift.min(first[r], step)
            last[r] = Swift.max(last[r], step)
            bytes[r] = Swift.max(bytes[r], draft.tensors[t].elementCount * 4)
        }
        for t in draft.inputs { touch(t, -1) }
        for (i, op) in draft.ops.enumerated() {
            for id in op.inputs where id >= 0 && draft.tensors[Int(id)].weight == nil { touch(Int(id), i) }
            for id in op.outputs { touch(Int(id), i) }
        }
        // Graph inputs stay intact for the whole run (Formats/EDGM.md: a model can be re-run
        // on the same input), so they live to the end like outputs.
        for t in draft.inputs + draft.outputs { touch(t, draft.ops.count) }

        var buffers: [Int] = []
        for r in 0..<n where first[r] != Int.max && draft.tensors[r].weight == nil { buffers.append(r) }
        buffers.sort { bytes[$0] != bytes[$1] ? bytes[$0] > bytes[$1] : $0 < $1 }

        var offset = [Int](repeating: 0, count: n)
        var placed: [Int] = []
        var end = 0
        for b in buffers {
            // Lowest aligned offset clear of every placed buffer alive at the same time.
            var clashes: [(Int, Int)] = []
            for p in placed where first[p] <= last[b] && first[b] <= last[p] {
                clashes.append((offset[p], offset[p] + bytes[p]))
            }
            clashes.sort { $0.0 < $1.0 }
            var candidate = 0
            for (lo, hi) in clashes {
                if candidate + bytes[b] <= lo { break }
                candidate = Swift.max(candidate, ArenaPlan.align(hi))
            }
            offset[b] = candidate
            placed.append(b)
            end = Swift.max(end, candidate + bytes[b])
        }
        var bound = 0
        if !buffers.isEmpty {
            for step in -1...draft.ops.count {
                var live = 0
                for b in buffers where first[b] <= step && step <= last[b] { live += bytes[b] }
                bound = Swift.max(bound, live)
            }
        }
        for t in 0..<n where draft.tensors[t].weight == nil { offset[t] = offset[root(t)] }
        offsets = offset
        arenaBytes = ArenaPlan.align(end)
        lowerBound = bound
    }

    static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}
