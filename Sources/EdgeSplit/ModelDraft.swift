import EdgeFormat

/// A model under construction: a head or tail slice of a compiled model, plus the
/// Transfer Layer ops added at its end or start, before it is laid out as `.edgm`.
///
/// Tensors keep their weight values by value (a few MB at most for the models Edge
/// targets), so a draft can be edited freely; `serialize` then plans a fresh arena for
/// exactly the tensors the slice touches and packs the weights it reads.
struct ModelDraft {
    struct Tensor {
        var name: String
        var shape: [Int]
        /// Weight values (nil: an arena tensor).
        var weight: [Float]?
        /// Index of the draft tensor this one views (a Reshape output), or -1.
        var aliasOf: Int = -1

        var elementCount: Int { shape.reduce(1, *) }
    }

    var metadata: [MetaEntry]
    var tensors: [Tensor] = []
    var ops: [OpDescription] = []
    var inputs: [Int] = []
    var outputs: [Int] = []

    /// The layers `range` of `model`, reading `input` and producing `outputs` (original
    /// tensor ids).
    init(slice model: EdgmModel, weights: UnsafeRawBufferPointer, range: Range<Int>,
         input: Int, outputs: [Int], metadata: [MetaEntry]) {
        self.metadata = metadata
        var needed = Set<Int>([input] + outputs)
        for i in range {
            for id in model.ops[i].inputs where id >= 0 { needed.insert(Int(id)) }
            for id in model.ops[i].outputs { needed.insert(Int(id)) }
        }
        // A view needs its base (the base owns the bytes); bases are earlier tensors.
        var queue = Array(needed)
        while let t = queue.popLast() {
            let base = Int(model.tensors[t].aliasOf)
            if base >= 0, !needed.contains(base) { needed.insert(base); queue.append(base) }
        }
        var map = [Int](repeating: -1, count: model.tensors.count)
        for old in needed.sorted() {
            let t = model.tensors[old]
            var weight: [Float]? = nil
            if t.storage == .weight {
                let start = weights.baseAddress! + t.offset
                weight = Array(UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: t.elementCount))
            }
            map[old] = tensors.count
            tensors.append(Tensor(name: t.name, shape: t.shape, weight: weight,
                                  aliasOf: t.aliasOf >= 0 ? map[Int(t.aliasOf)] : -1))
        }
        for i in range {
            var op = model.ops[i]
            op.inputs = op.inputs.map { $0 < 0 ? $0 : Int32(map[Int($0)]) }
            op.outputs = op.outputs.map { Int32(map[Int($0)]) }
            ops.append(op)
        }
        inputs = [map[input]]
        self.outputs = outputs.map { map[$0] }
    }

    mutating func addArena(_ name: String, shape: [Int]) -> Int {
        tensors.append(Tensor(name: name, shape: shape, weight: nil))
        return tensors.count - 1
    }

    mutating func addWeight(_ name: String, shape: [Int], _ values: [Float]) -> Int {
        precondition(values.count == shape.reduce(1, *))
        tensors.append(Tensor(name: name, shape: shape, weight: values))
        return tensors.count - 1
    }

    /// The `.edgm` bytes: a fresh arena plan over this draft's tensors, weights packed
    /// 64-byte aligned in tensor order.
    func serialize() throws(EdgeError) -> [UInt8] {
        let plan = ArenaPlan(self)
        var weightBytes = ByteWriter()
        var out: [EdgmTensor] = []
        for (i, t) in tensors.enumerated() {
            let bytes = t.elementCount * 4
            if let w = t.weight {
                weightBytes.align(to: EdgmLayout.alignment)
                let offset = weightBytes.count
                w.withUnsafeBytes { weightBytes.append($0) }  // little-endian hosts only, like the reader
                out.append(EdgmTensor(name: t.name, storage: .weight, shape: t.shape, offset: offset, byteCount: bytes))
            } else {
                out.append(EdgmTensor(name: t.name, storage: .arena, shape: t.shape, offset: plan.offsets[i],
                                      byteCount: bytes, aliasOf: Int32(t.aliasOf)))
            }
        }
        let graph = EdgmGraph(arenaBytes: plan.arenaBytes, arenaLowerBound: plan.lowerBound,
                              inputs: inputs.map { Int32($0) }, outputs: outputs.map { Int32($0) })
        let model = EdgmModel(metadata: metadata, graph: graph, tensors: out, ops: ops)
        return try EdgmWriter.serialize(model, weights: weightBytes.bytes)
    }
}
