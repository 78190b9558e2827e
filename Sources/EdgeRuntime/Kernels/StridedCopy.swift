import CEdgeSupport

/// `dst[i0*d0 + i1*d1 + ...] = src[i0*s0 + i1*s1 + ...]` over collapsed loop dims: the
/// engine of Slice and Transpose (negative source strides walk backwards).
///
/// The dims are collapsed (`LoopDim.collapse`) at load, so a slice of whole rows or a
/// transpose that keeps the last axis ends in one `memcpy` per contiguous run; only a
/// truly strided innermost dim falls back to an element loop.
struct StridedCopy {
    /// counts, then source strides, then destination strides (`rank` each).
    let table: KernelTable<Int>
    let rank: Int

    init(_ dims: [LoopDim]) {
        let collapsed = LoopDim.collapse(dims)
        rank = collapsed.count
        var values: [Int] = []
        for d in collapsed { values.append(d.count) }
        for d in collapsed { values.append(d.source) }
        for d in collapsed { values.append(d.destination) }
        table = KernelTable(values)
    }

    func run(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        if rank == 0 {
            dst[0] = src[0]
        } else {
            copy(dim: 0, src, dst)
        }
    }

    private func copy(dim: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        let n = table[dim], ss = table[rank + dim], ds = table[2 * rank + dim]
        if dim == rank - 1 {
            if ss == 1 && ds == 1 {
                memmove(dst, src, n * MemoryLayout<Float>.stride)
            } else if ds == 1 {
                for i in 0..<n { dst[i] = src[i * ss] }
            } else {
                for i in 0..<n { dst[i * ds] = src[i * ss] }
            }
            return
        }
        for i in 0..<n { copy(dim: dim + 1, src + i * ss, dst + i * ds) }
    }
}
