import CEdgeSupport
import EdgeFormat

/// Pad with a constant, by reflection (without repeating the edge: `dcb|abcd|cba`) or by
/// repeating the edge; any rank, non-negative pads. Y must not overlap X.
///
/// Padding is separable: `Y[o0, o1, ...] = X[map0(o0), map1(o1), ...]`, so one recursion
/// level per dim maps its output index to a source sub-block (or to the constant).
/// Trailing unpadded dims form one contiguous block and adjacent unpadded dims merge,
/// so padding H and W of NCHW walks `[N*C, H, W]`, and padding C walks `[N, C]` blocks
/// of `H*W` floats.
public final class PadLayer: LayerKernel {
    public let mode: PadMode
    let value: Float
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    /// Per collapsed dim: X size, Y size, pad before, X stride, Y stride (5 per dim).
    let table: KernelTable<Int>
    let rank: Int
    /// Floats of the contiguous unpadded block below the last padded dim.
    let block: Int
    let count: Int

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        let tx = inputs[0]!, ty = outputs[0]
        let r = tx.shape.count
        let params = try PadParams(op, rank: r)
        let mode = params.mode
        self.mode = mode
        value = params.value
        try SizeCheck.count(tx.shape, op: op, tensor: "X")
        count = try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        guard ty.shape.count == r else {
            throw EdgeError(.shape, "op '\(op.name)': Y \(SizeCheck.describe(ty.shape)) and X "
                + "\(SizeCheck.describe(tx.shape)) differ in rank")
        }
        var begins: [Int] = []
        for d in 0..<r {
            let size = tx.shape[d]
            let b = try SizeCheck.attribute(params.begins[d], min: 0, op: op, what: "pad begin \(d)")
            let e = try SizeCheck.attribute(params.ends[d], min: 0, op: op, what: "pad end \(d)")
            guard ty.shape[d] == size + b + e else {
                throw EdgeError(.shape, "op '\(op.name)': dim \(d): \(size) + pads \(b), \(e) is not Y's \(ty.shape[d])")
            }
            // One reflection must suffice: a pad of at most size-1 (a size-1 dim repeats).
            guard mode != .reflect || size == 1 || (b < size && e < size) else {
                throw EdgeError(.unsupported, "op '\(op.name)': reflect pad \(b), \(e) needs dim \(d) larger than \(size)")
            }
            begins.append(b)
        }
        // Trailing unpadded dims: one contiguous block.
        var k = r
        var block = 1
        while k > 0 && tx.shape[k - 1] == ty.shape[k - 1] {
            block *= tx.shape[k - 1]
            k -= 1
        }
        // Outer dims, merging neighbours that are both unpadded; innermost first.
        // Rows as three plain arrays (not an array of tuples: its growth code would be
        // specialised for that element type alone).
        var xSizes: [Int] = [], ySizes: [Int] = [], rowBegins: [Int] = []
        for d in 0..<k {
            let padded = tx.shape[d] != ty.shape[d]
            if !padded, let lx = xSizes.last, lx == ySizes[ySizes.count - 1] {
                xSizes[xSizes.count - 1] = lx * tx.shape[d]
                ySizes[ySizes.count - 1] = lx * tx.shape[d]
                rowBegins[rowBegins.count - 1] = 0
            } else {
                xSizes.append(tx.shape[d])
                ySizes.append(ty.shape[d])
                rowBegins.append(begins[d])
            }
        }
        let rowCount = xSizes.count
        var values = [Int](repeating: 0, count: 5 * rowCount)
        var xs = block, ys = block
        var d = rowCount - 1
        while d >= 0 {
            values[5 * d] = xSizes[d]
            values[5 * d + 1] = ySizes[d]
            values[5 * d + 2] = rowBegins[d]
            values[5 * d + 3] = xs
            values[5 * d + 4] = ys
            xs *= xSizes[d]
            ys *= ySizes[d]
            d -= 1
        }
        table = KernelTable(values)
        rank = rowCount
        self.block = block
        x = UnsafePointer(tx.data)
        y = ty.data
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { 0 }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        if rank == 0 {
            memmove(y, x, count * MemoryLayout<Float>.stride)
        } else {
            pad(dim: 0, x, y)
        }
    }

    /// The X index output index `o` reads along a dim, or -1 for the constant.
    @inline(__always)
    private func source(_ o: Int, size: Int, begin: Int) -> Int {
        let i = o - begin
        if i >= 0 && i < size { return i }
        switch mode {
        case .constant: return -1
        case .edge: return i < 0 ? 0 : size - 1
        case .reflect:
            if size == 1 { return 0 }
            return i < 0 ? -i : 2 * (size - 1) - i
        }
    }

    private func pad(dim: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        let t = 5 * dim
        let size = table[t], out = table[t + 1], begin = table[t + 2], xs = table[t + 3], ys = table[t + 4]
        if dim == rank - 1 {
            // Innermost padded dim: both strides are `block`, the middle is one memcpy.
            for o in 0..<begin { edgeBlock(o, size: size, begin: begin, src, dst) }
            memmove(dst + begin * block, src, size * block * MemoryLayout<Float>.stride)
            for o in begin + size..<out { edgeBlock(o, size: size, begin: begin, src, dst) }
            return
        }
        for o in 0..<out {
            let i = source(o, size: size, begin: begin)
            if i < 0 {
                fill(dst + o * ys, ys)
            } else {
                pad(dim: dim + 1, src + i * xs, dst + o * ys)
            }
        }
    }

    @inline(__always)
    private func edgeBlock(_ o: Int, size: Int, begin: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        let i = source(o, size: size, begin: begin)
        if i < 0 {
            fill(dst + o * block, block)
        } else {
            memmove(dst + o * block, src + i * block, block * MemoryLayout<Float>.stride)
        }
    }

    @inline(__always)
    private func fill(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        let v = value
        for i in 0..<n { p[i] = v }
    }
}
