import EdgeFormat

/// Static arena layout: one offset per activation tensor, decided at compile time.
///
/// Tensors that share bytes (a Reshape's output and its input; an elementwise op's output
/// written over an input that dies there) form one *buffer*. A buffer lives from the step
/// that first writes it to the last step that reads it; graph inputs and outputs live for
/// the whole run (inputs are kept intact so a model can be re-run on the same input).
///
/// Placement is the greedy-by-size heuristic TFLite Micro uses: largest buffer first, each
/// at the lowest offset where it overlaps no already-placed buffer whose lifetime overlaps
/// its own. The result is reported next to a lower bound no plan can beat: the largest
/// total size of buffers live at the same step.
struct MemoryPlan {
    var offsets: [Int]          // per tensor (arena tensors only; weights 0)
    var arenaBytes: Int
    var lowerBound: Int
    var inPlaceMerges: Int
}

enum MemoryPlanner {
    static let alignment = 64

    static func plan(_ model: LoweredModel, allowInPlace: Bool = true) -> MemoryPlan {
        let count = model.tensors.count
        var root = Array(0..<count)
        func find(_ x: Int) -> Int {
            var x = x
            while root[x] != x { root[x] = root[root[x]]; x = root[x] }
            return x
        }
        for (i, t) in model.tensors.enumerated() {
            if let base = t.aliasOf { root[find(i)] = find(base) }
        }

        let steps = model.ops.count
        var first = [Int](repeating: Int.max, count: count)
        var last = [Int](repeating: Int.min, count: count)
        func lifetimes() {
            for i in 0..<count { first[i] = Int.max; last[i] = Int.min }
            for (s, op) in model.ops.enumerated() {
                for id in op.outputs { let r = find(Int(id)); first[r] = min(first[r], s); last[r] = max(last[r], s) }
                for id in op.inputs where id >= 0 && model.tensors[Int(id)].isArena {
                    let r = find(Int(id)); first[r] = min(first[r], s); last[r] = max(last[r], s)
                }
            }
            for id in model.inputs { let r = find(Int(id)); first[r] = -1; last[r] = steps }
            for id in model.outputs { let r = find(Int(id)); first[r] = min(first[r], steps); last[r] = steps }
        }
        lifetimes()

        var merges = 0
        if allowInPlace {
            for c in model.inPlaceCandidates {
                let a = find(Int(c.input)), y = find(Int(c.output))
                guard a != y, model.tensors[Int(c.input)].isArena, last[a] == c.op, first[y] == c.op,
                      bufferBytes(model, a, find) == bufferBytes(model, y, find) else { continue }
                root[y] = a
                last[a] = max(last[a], last[y])
                merges += 1
            }
            lifetimes()
        }

        var buffers: [Int] = []
        var size = [Int](repeating: 0, count: count)
        for i in 0..<count where model.tensors[i].isArena {
            let r = find(i)
            if size[r] == 0 && !buffers.contains(r) { buffers.append(r) }
            size[r] = max(size[r], model.tensors[i].byteCount)
        }
        // Buffers never touched by an op (an unused input) still get a place.
        for r in buffers where first[r] == Int.max { first[r] = -1; last[r] = steps }

        var lowerBound = 0
        for s in -1...steps {
            var live = 0
            for r in buffers where first[r] <= s && s <= last[r] { live += size[r] }
            lowerBound = max(lowerBound, live)
        }

        let order = buffers.sorted { size[$0] != size[$1] ? size[$0] > size[$1] : $0 < $1 }
        var placed: [(buffer: Int, offset: Int)] = []
        var offsetOf = [Int](repeating: 0, count: count)
        var arena = 0
        for b in order {
            let conflicts = placed
                .filter { first[$0.buffer] <= last[b] && first[b] <= last[$0.buffer] }
                .map { (start: $0.offset, end: $0.offset + size[$0.buffer]) }
                .sorted { $0.start < $1.start }
            var offset = 0
            for c in conflicts {
                if offset + size[b] <= c.start { break }
                offset = max(offset, align(c.end))
            }
            offsetOf[b] = offset
            placed.append((b, offset))
            arena = max(arena, offset + size[b])
        }
        var offsets = [Int](repeating: 0, count: count)
        for i in 0..<count where model.tensors[i].isArena { offsets[i] = offsetOf[find(i)] }
        return MemoryPlan(offsets: offsets, arenaBytes: align(arena), lowerBound: lowerBound, inPlaceMerges: merges)
    }

    static func bufferBytes(_ model: LoweredModel, _ r: Int, _ find: (Int) -> Int) -> Int {
        var bytes = 0
        for i in model.tensors.indices where model.tensors[i].isArena && find(i) == r {
            bytes = max(bytes, model.tensors[i].byteCount)
        }
        return bytes
    }

    static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}
