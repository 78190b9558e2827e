import EdgeFormat

/// `Y = transpose(X, perm)`: Y's dim i is X's dim perm[i]. Y must not overlap X.
///
/// The dims are collapsed first (axes that stay adjacent and in order move as one), so
/// NCHW->NHWC becomes a batch of `[C, H*W] -> [H*W, C]` matrix transposes. When the
/// output's innermost axis is strided in X but the next one is X's innermost, that
/// 2-D transpose runs in square tiles: reading columns of X one by one would miss the
/// cache on every element, a tile keeps both its rows and its columns resident.
public final class TransposeLayer: LayerKernel {
    public enum Path: Equatable {
        /// memcpy runs or a strided gather (`StridedCopy`).
        case strided
        /// Batched 2-D transpose of the two innermost collapsed dims, in tiles.
        case tiled
    }

    public let path: Path
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let copy: StridedCopy
    /// Tiled path: outer dims as counts, X strides, Y strides (`outerRank` each).
    let outerTable: KernelTable<Int>
    let outerRank: Int
    /// Tiled path: Y is `rows x cols` per batch; X element (r, c) is at `r + c * colStride`.
    let rows: Int, cols: Int, colStride: Int

    static let maxRank = 8
    static let tile = 16

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        let tx = inputs[0]!, ty = outputs[0]
        let rank = tx.shape.count
        guard rank <= TransposeLayer.maxRank else {
            throw EdgeError(.unsupported, "op '\(op.name)': rank \(rank) is above \(TransposeLayer.maxRank)")
        }
        let perm = try TransposeParams(op, rank: rank).perm
        try SizeCheck.count(tx.shape, op: op, tensor: "X")
        try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        var seen = [Bool](repeating: false, count: rank)
        var expected: [Int] = []
        for p in perm {
            guard p >= 0, p < Int64(rank), !seen[Int(p)] else {
                throw EdgeError(.format, "op '\(op.name)': perm is not a permutation of 0..<\(rank)")
            }
            seen[Int(p)] = true
            expected.append(tx.shape[Int(p)])
        }
        try SizeCheck.same(ty.shape, expected, op: op, what: "Y")
        let xStrides = Strides.contiguous(tx.shape), yStrides = Strides.contiguous(ty.shape)
        var dims: [LoopDim] = []
        for i in 0..<rank {
            dims.append(LoopDim(count: ty.shape[i], source: xStrides[Int(perm[i])], destination: yStrides[i]))
        }
        let collapsed = LoopDim.collapse(dims)
        let k = collapsed.count
        x = UnsafePointer(tx.data)
        y = ty.data
        copy = StridedCopy(collapsed)
        if k >= 2, collapsed[k - 1].source != 1, collapsed[k - 2].source == 1 {
            path = .tiled
            rows = collapsed[k - 2].count
            cols = collapsed[k - 1].count
            colStride = collapsed[k - 1].source
            var values: [Int] = []
            for d in collapsed[0..<k - 2] { values.append(d.count) }
            for d in collapsed[0..<k - 2] { values.append(d.source) }
            for d in collapsed[0..<k - 2] { values.append(d.destination) }
            outerTable = KernelTable(values)
            outerRank = k - 2
        } else {
            path = .strided
            rows = 0
            cols = 0
            colStride = 0
            outerTable = KernelTable([])
            outerRank = 0
        }
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { 0 }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        switch path {
        case .strided: copy.run(x, y)
        case .tiled: outer(dim: 0, x, y)
        }
    }

    private func outer(dim: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        if dim == outerRank {
            tiles(src, dst)
            return
        }
        let n = outerTable[dim], ss = outerTable[outerRank + dim], ds = outerTable[2 * outerRank + dim]
        for i in 0..<n { outer(dim: dim + 1, src + i * ss, dst + i * ds) }
    }

    /// `dst[r * cols + c] = src[r + c * colStride]`, one tile at a time.
    private func tiles(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        let t = TransposeLayer.tile, rows = self.rows, cols = self.cols, cs = colStride
        var r0 = 0
        while r0 < rows {
            let r1 = Swift.min(r0 + t, rows)
            var c0 = 0
            while c0 < cols {
                let c1 = Swift.min(c0 + t, cols)
                for r in r0..<r1 {
                    let d = dst + r * cols, s = src + r
                    for c in c0..<c1 { d[c] = s[c * cs] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }
}
