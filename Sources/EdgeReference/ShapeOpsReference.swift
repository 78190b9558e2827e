import EdgeFormat

// Reference data-movement ops: every output element located by its multi-index.

/// Row-major multi-index of `flat` in `shape`.
private func shapeOpsIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
    var index = [Int](repeating: 0, count: shape.count)
    var rest = flat
    var d = shape.count - 1
    while d >= 0 {
        index[d] = rest % shape[d]
        rest /= shape[d]
        d -= 1
    }
    return index
}

private func shapeOpsOffset(_ index: [Int], _ shape: [Int]) -> Int {
    var offset = 0
    for d in 0..<shape.count { offset = offset * shape[d] + index[d] }
    return offset
}

private func shapeOpsCount(_ shape: [Int]) -> Int {
    var n = 1
    for d in shape { n *= d }
    return n
}

/// Concatenation of `inputs` (with `shapes`) along `axis`.
public func referenceConcat(_ inputs: [[Float]], shapes: [[Int]], axis: Int) -> [Float] {
    var outShape = shapes[0]
    outShape[axis] = 0
    for s in shapes { outShape[axis] += s[axis] }
    var result = [Float](repeating: 0, count: shapeOpsCount(outShape))
    for flat in 0..<result.count {
        var index = shapeOpsIndex(flat, outShape)
        var which = 0
        while index[axis] >= shapes[which][axis] {
            index[axis] -= shapes[which][axis]
            which += 1
        }
        result[flat] = inputs[which][shapeOpsOffset(index, shapes[which])]
    }
    return result
}

/// Split of `x` along `axis` into parts of `sizes` elements on that axis.
public func referenceSplit(_ x: [Float], shape: [Int], axis: Int, sizes: [Int]) -> [[Float]] {
    var parts: [[Float]] = []
    var start = 0
    for size in sizes {
        var partShape = shape
        partShape[axis] = size
        var part = [Float](repeating: 0, count: shapeOpsCount(partShape))
        for flat in 0..<part.count {
            var index = shapeOpsIndex(flat, partShape)
            index[axis] += start
            part[flat] = x[shapeOpsOffset(index, shape)]
        }
        parts.append(part)
        start += size
    }
    return parts
}

/// `y[i] = x[starts + i * steps]` per dim, `counts` elements per dim.
public func referenceSlice(_ x: [Float], shape: [Int], starts: [Int], steps: [Int], counts: [Int]) -> [Float] {
    var result = [Float](repeating: 0, count: shapeOpsCount(counts))
    for flat in 0..<result.count {
        let outIndex = shapeOpsIndex(flat, counts)
        var inIndex = outIndex
        for d in 0..<shape.count { inIndex[d] = starts[d] + outIndex[d] * steps[d] }
        result[flat] = x[shapeOpsOffset(inIndex, shape)]
    }
    return result
}

/// `y` with `y.shape[i] = shape[perm[i]]` and `y[j] = x[k]` where `k[perm[i]] = j[i]`.
public func referenceTranspose(_ x: [Float], shape: [Int], perm: [Int]) -> [Float] {
    let outShape = perm.map { shape[$0] }
    var result = [Float](repeating: 0, count: x.count)
    for flat in 0..<result.count {
        let outIndex = shapeOpsIndex(flat, outShape)
        var inIndex = [Int](repeating: 0, count: shape.count)
        for i in 0..<perm.count { inIndex[perm[i]] = outIndex[i] }
        result[flat] = x[shapeOpsOffset(inIndex, shape)]
    }
    return result
}

/// Pad as numpy.pad: constant `value`, `reflect` (mirror without repeating the edge;
/// a size-1 dim repeats its element) or `edge`.
public func referencePad(_ x: [Float], shape: [Int], mode: PadMode, begins: [Int], ends: [Int],
                         value: Float) -> [Float] {
    var outShape = shape
    for d in 0..<shape.count { outShape[d] += begins[d] + ends[d] }
    var result = [Float](repeating: 0, count: shapeOpsCount(outShape))
    for flat in 0..<result.count {
        var index = shapeOpsIndex(flat, outShape)
        var inside = true
        for d in 0..<shape.count {
            var i = index[d] - begins[d]
            let n = shape[d]
            switch mode {
            case .constant:
                if i < 0 || i >= n { inside = false }
            case .edge:
                i = min(max(i, 0), n - 1)
            case .reflect:
                if n == 1 {
                    i = 0
                } else {
                    // Bounce between the two ends until inside.
                    while i < 0 || i >= n {
                        if i < 0 { i = -i }
                        if i >= n { i = 2 * (n - 1) - i }
                    }
                }
            }
            index[d] = i
        }
        result[flat] = inside ? x[shapeOpsOffset(index, shape)] : value
    }
    return result
}
