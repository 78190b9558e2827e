/// ReduceMean of `x` (`shape`) over `axes`, in Double. Returns the values and the
/// output shape (reduced dims kept as 1 when `keepDims`, dropped otherwise).
public func referenceReduceMean(_ x: [Float], shape: [Int], axes: [Int], keepDims: Bool) -> (values: [Float], shape: [Int]) {
    var kept = shape
    for a in axes { kept[a] = 1 }
    var count = 1
    for d in kept { count *= d }
    var reducedCount = 1
    for a in axes { reducedCount *= shape[a] }
    var sums = [Double](repeating: 0, count: count)
    for flat in 0..<x.count {
        // Input multi-index, then the same index with reduced axes set to 0.
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        var d = shape.count - 1
        while d >= 0 {
            index[d] = rest % shape[d]
            rest /= shape[d]
            d -= 1
        }
        for a in axes { index[a] = 0 }
        var offset = 0
        for d in 0..<shape.count { offset = offset * kept[d] + index[d] }
        sums[offset] += Double(x[flat])
    }
    var outShape: [Int] = []
    for d in 0..<shape.count where keepDims || !axes.contains(d) { outShape.append(kept[d]) }
    return (sums.map { Float($0 / Double(reducedCount)) }, outShape)
}
