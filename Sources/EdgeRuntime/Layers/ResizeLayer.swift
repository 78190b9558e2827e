import CEdgeSupport
import EdgeFormat

/// Resize over the last two dims (nearest or bilinear), every leading dim a batch of
/// planes. Source rows, columns and weights come from tables built at load
/// (`ResizeAxis`). Y must not overlap X.
///
/// Bilinear values are `top + wy * (bottom - top)` with `top`, `bottom` the two source
/// rows each interpolated as `r[c0] + wx * (r[c1] - r[c0])`.
public final class ResizeLayer: LayerKernel {
    public let mode: ResizeMode
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let planes: Int
    let inH: Int, inW: Int, outH: Int, outW: Int
    /// Source rows and columns (`upper` and weights are empty for nearest).
    let rowLower: KernelTable<Int32>, rowUpper: KernelTable<Int32>, rowWeight: KernelTable<Float>
    let colLower: KernelTable<Int32>, colUpper: KernelTable<Int32>, colWeight: KernelTable<Float>

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        let params = try ResizeParams(op)
        let mode = params.mode, transform = params.transform, nearest = params.nearest
        let scaleH = params.scaleH, scaleW = params.scaleW
        guard scaleH.isFinite, scaleW.isFinite, scaleH > 0, scaleW > 0 else {
            throw EdgeError(.format, "op '\(op.name)': resize scales must be finite and positive")
        }
        self.mode = mode
        let tx = inputs[0]!, ty = outputs[0]
        let r = tx.shape.count
        try SizeCheck.count(tx.shape, op: op, tensor: "X")
        try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        guard r >= 2, ty.shape.count == r, Array(tx.shape[0..<r - 2]) == Array(ty.shape[0..<r - 2]) else {
            throw EdgeError(.shape, "op '\(op.name)': X \(SizeCheck.describe(tx.shape)) and Y "
                + "\(SizeCheck.describe(ty.shape)) must share rank (>= 2) and all but the last two dims")
        }
        planes = Strides.product(tx.shape, 0..<r - 2)
        inH = tx.shape[r - 2]
        inW = tx.shape[r - 1]
        outH = ty.shape[r - 2]
        outW = ty.shape[r - 1]
        let rows = ResizeAxis(input: inH, output: outH, scale: scaleH, mode: mode, transform: transform, nearest: nearest)
        let cols = ResizeAxis(input: inW, output: outW, scale: scaleW, mode: mode, transform: transform, nearest: nearest)
        rowLower = KernelTable(rows.lower)
        rowUpper = KernelTable(rows.upper)
        rowWeight = KernelTable(rows.weight)
        colLower = KernelTable(cols.lower)
        colUpper = KernelTable(cols.upper)
        colWeight = KernelTable(cols.weight)
        x = UnsafePointer(tx.data)
        y = ty.data
    }

    /// Linear: two horizontally interpolated rows.
    public var scratchFloats: Int { mode == .linear ? 2 * outW : 0 }
    /// Linear: two horizontal and one vertical lerp (2 flops each) per output element.
    public var flops: Int { mode == .linear ? 6 * planes * outH * outW : 0 }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        switch mode {
        case .nearest: runNearest()
        case .linear: runLinear(scratch)
        }
    }

    private func runNearest() {
        let inPlane = inH * inW, outPlane = outH * outW, w = outW
        for p in 0..<planes {
            let src = x + p * inPlane, dst = y + p * outPlane
            for oy in 0..<outH {
                let row = dst + oy * w
                // Upsampling repeats source rows: copy the finished row instead.
                if oy > 0 && rowLower[oy] == rowLower[oy - 1] {
                    memmove(row, row - w, w * MemoryLayout<Float>.stride)
                    continue
                }
                let s = src + Int(rowLower[oy]) * inW
                for ox in 0..<w { row[ox] = s[Int(colLower[ox])] }
            }
        }
    }

    /// Bilinear, separably: each needed input row is interpolated horizontally once into
    /// a scratch row (output rows share input rows when upsampling), then every output row
    /// is a vertical blend of two scratch rows, a contiguous loop that vectorizes.
    private func runLinear(_ scratch: UnsafeMutablePointer<Float>) {
        let inPlane = inH * inW, outPlane = outH * outW, w = outW
        for p in 0..<planes {
            let src = x + p * inPlane, dst = y + p * outPlane
            var top = scratch, bottom = scratch + w
            var topRow = -1, bottomRow = -1
            for oy in 0..<outH {
                let r0 = Int(rowLower[oy]), r1 = Int(rowUpper[oy])
                let row = dst + oy * w
                if topRow != r0 {
                    if bottomRow == r0 {
                        swap(&top, &bottom)
                        swap(&topRow, &bottomRow)
                    } else {
                        horizontal(src + r0 * inW, top)
                        topRow = r0
                    }
                }
                if r1 == r0 {
                    // At the borders both taps are the same row.
                    memmove(row, top, w * MemoryLayout<Float>.stride)
                    continue
                }
                if bottomRow != r1 {
                    horizontal(src + r1 * inW, bottom)
                    bottomRow = r1
                }
                let wy = rowWeight[oy]
                for ox in 0..<w { row[ox] = top[ox] + wy * (bottom[ox] - top[ox]) }
            }
        }
    }

    @inline(__always)
    private func horizontal(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>) {
        for ox in 0..<outW {
            let c0 = Int(colLower[ox]), c1 = Int(colUpper[ox])
            d[ox] = s[c0] + colWeight[ox] * (s[c1] - s[c0])
        }
    }
}
