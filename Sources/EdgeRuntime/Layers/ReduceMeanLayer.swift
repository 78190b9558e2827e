import CEdgeSupport
import EdgeFormat

/// Mean over the listed axes; Y's shape says whether reduced dims are kept (as 1) or
/// dropped. Y must not overlap X.
///
/// X is read once, in memory order: size-1 dims are dropped and neighbouring dims that
/// are both reduced or both kept are merged, then each innermost run is either summed
/// into one output (`[N*C, H*W]` of a spatial mean) or added onto a run of outputs
/// (`[R, K]` of a mean over the leading axis). Y accumulates sums and is scaled once.
public final class ReduceMeanLayer: LayerKernel {
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    /// Per collapsed dim: count, X stride, Y stride (0 where reduced), reduced flag.
    let table: KernelTable<Int>
    let rank: Int
    let inCount: Int, outCount: Int
    /// Elements averaged into each output.
    let reduced: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        let tx = inputs[0]!, ty = outputs[0]
        let r = tx.shape.count
        let axes = try ReduceMeanParams(op, rank: r).axes
        inCount = try SizeCheck.count(tx.shape, op: op, tensor: "X")
        outCount = try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        var isReduced = [Bool](repeating: false, count: r)
        var previous: Int64 = -1
        for a in axes {
            guard a > previous, a < Int64(r) else {
                throw EdgeError(.format, "op '\(op.name)': axes must be ascending, unique and below rank \(r)")
            }
            isReduced[Int(a)] = true
            previous = a
        }
        var kept: [Int] = [], keptDims: [Int] = []
        for d in 0..<r {
            kept.append(isReduced[d] ? 1 : tx.shape[d])
            if !isReduced[d] { keptDims.append(tx.shape[d]) }
        }
        guard ty.shape == kept || ty.shape == keptDims else {
            throw EdgeError(.shape, "op '\(op.name)': Y is \(SizeCheck.describe(ty.shape)), expected "
                + "\(SizeCheck.describe(kept)) or \(SizeCheck.describe(keptDims))")
        }
        // Collapsed dims as two plain arrays (not an array of tuples: its growth code would
        // be specialised for that element type alone).
        var sizes: [Int] = []
        var reducedDims: [Bool] = []
        for d in 0..<r where tx.shape[d] != 1 {
            if let last = reducedDims.last, last == isReduced[d] {
                sizes[sizes.count - 1] *= tx.shape[d]
            } else {
                sizes.append(tx.shape[d])
                reducedDims.append(isReduced[d])
            }
        }
        rank = sizes.count
        var values = [Int](repeating: 0, count: 4 * rank)
        var xs = 1, ys = 1, total = 1
        var d = rank - 1
        while d >= 0 {
            values[d] = sizes[d]
            values[rank + d] = xs
            values[2 * rank + d] = reducedDims[d] ? 0 : ys
            values[3 * rank + d] = reducedDims[d] ? 1 : 0
            xs *= sizes[d]
            if reducedDims[d] { total *= sizes[d] } else { ys *= sizes[d] }
            d -= 1
        }
        table = KernelTable(values)
        reduced = total
        x = UnsafePointer(tx.data)
        y = ty.data
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { inCount }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        if reduced == 1 {
            // Only size-1 axes were reduced: the data is unchanged.
            if UnsafePointer(y) != x { memmove(y, x, outCount * MemoryLayout<Float>.stride) }
            return
        }
        for i in 0..<outCount { y[i] = 0 }
        accumulate(dim: 0, x, y)
        let s = 1 / Float(reduced)
        for i in 0..<outCount { y[i] *= s }
    }

    private func accumulate(dim: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        let n = table[dim], xs = table[rank + dim], ys = table[2 * rank + dim]
        if dim == rank - 1 {
            if table[3 * rank + dim] != 0 {
                dst[0] += ReduceMeanLayer.sum(src, n)
            } else {
                for j in 0..<n { dst[j] += src[j] }
            }
            return
        }
        for i in 0..<n { accumulate(dim: dim + 1, src + i * xs, dst + i * ys) }
    }

    /// Four partial sums: they vectorize, and they bound rounding growth better than
    /// one serial accumulator on long rows.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var i = 0
        while i + 4 <= n {
            s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3]
            i += 4
        }
        while i < n { s0 += p[i]; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }
}
