/// Numpy broadcasting of two operands onto an output shape, reduced to the fewest loop
/// dims.
///
/// Every output dim gets an element stride per operand: the operand's own row-major
/// stride where it has that dim, 0 where it is broadcast (size 1 or missing on the
/// left). Size-1 output dims are dropped and neighbours whose strides chain for both
/// operands are merged, so `[N,C,H,W] + [1,C,1,1]` becomes `[N, C, H*W]` with B strides
/// `[0, 1, 0]`; the layer then recognises its fast paths from the collapsed form
/// instead of from the many spellings of the same pattern.
struct BroadcastPlan {
    /// Collapsed output dims, outermost first; none is 1. Empty for a single element.
    var dims: [Int] = []
    var aStrides: [Int] = []
    var bStrides: [Int] = []

    /// nil when `a` and `b` do not broadcast to exactly `output`. `output` may carry
    /// extra leading 1s; all sizes must already be >= 1.
    init?(a: [Int], b: [Int], output: [Int]) {
        let rank = output.count
        guard a.count <= rank, b.count <= rank else { return nil }
        let aFull = Strides.contiguous(a), bFull = Strides.contiguous(b)
        // One pass: each dim is merged as soon as it is checked (no array of tuples, whose
        // growth code would be specialised for this element type alone).
        for i in 0..<rank {
            let ia = i - (rank - a.count), ib = i - (rank - b.count)
            let da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1
            let expected = da == 1 ? db : da
            guard db == expected || db == 1, output[i] == expected else { return nil }
            let n = output[i], sa = da == 1 ? 0 : aFull[ia], sb = db == 1 ? 0 : bFull[ib]
            if n == 1 { continue }
            if let last = dims.last {
                let k = dims.count - 1
                // The output is dense, so only the operands' strides need to chain.
                if aStrides[k] == sa &* n, bStrides[k] == sb &* n {
                    dims[k] = last &* n
                    aStrides[k] = sa
                    bStrides[k] = sb
                    continue
                }
            }
            dims.append(n)
            aStrides.append(sa)
            bStrides.append(sb)
        }
    }

    /// True when `strides` walk the collapsed output densely (the operand is full size).
    func isDense(_ strides: [Int]) -> Bool {
        strides == Strides.contiguous(dims)
    }

    /// When `strides` are zero everywhere but one dim of stride 1, that dim's index:
    /// the operand is a vector laid along one output axis (a per-channel operand).
    func vectorAxis(_ strides: [Int]) -> Int? {
        var axis: Int? = nil
        for (i, s) in strides.enumerated() where s != 0 {
            guard axis == nil, s == 1 else { return nil }
            axis = i
        }
        return axis
    }
}
