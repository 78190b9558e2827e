import CEdgeSupport
import EdgeFormat

/// Local response normalization across channels (ONNX LRN):
/// `y[c] = x[c] / (bias + alpha / size * sum(x[k]^2 for k in c-lo...c+hi))^beta` with
/// `lo = floor((size-1)/2)`, `hi = ceil((size-1)/2)`, clipped to the existing channels.
/// Channel axis 1 of `[N, C, ...]`. Y may be X's buffer.
///
/// Each channel plane's scale goes into a ring of `lo + 1` planes in scratch, and
/// channel `c - lo` is written only after channel `c`'s window was summed: no later
/// window reads channel `c - lo` again, so writing Y over X is safe.
public final class LRNLayer: LayerKernel {
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let batches: Int, channels: Int, plane: Int
    let size: Int, lo: Int, hi: Int
    /// Planes in the scale ring: `lo + 1`, fewer if there are fewer channels.
    let slots: Int
    let alphaOverSize: Float, beta: Float, bias: Float

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 1)
        let params = try LRNParams(op)
        size = try SizeCheck.attribute(params.size, min: 1, op: op, what: "size")
        lo = (size - 1) / 2
        hi = size - 1 - lo
        let alpha = params.alpha
        beta = params.beta
        bias = params.bias
        guard alpha.isFinite, beta.isFinite, bias.isFinite else {
            throw EdgeError(.format, "op '\(op.name)': alpha, beta and bias must be finite")
        }
        alphaOverSize = alpha / Float(size)
        let tx = inputs[0]!, ty = outputs[0]
        try SizeCheck.count(tx.shape, op: op, tensor: "X")
        try SizeCheck.same(ty.shape, tx.shape, op: op, what: "Y")
        guard tx.shape.count >= 2 else {
            throw EdgeError(.shape, "op '\(op.name)': X \(SizeCheck.describe(tx.shape)) has no channel axis")
        }
        batches = tx.shape[0]
        channels = tx.shape[1]
        plane = Strides.product(tx.shape, 2..<tx.shape.count)
        slots = Swift.min(lo + 1, channels)
        x = UnsafePointer(tx.data)
        y = ty.data
    }

    /// One plane for the window sum, `slots` planes of the scale ring.
    public var scratchFloats: Int { (slots + 1) * plane }
    public var flops: Int { batches * channels * plane * (2 * size + 4) }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let hw = plane, cCount = channels, slots = self.slots
        let sum = scratch, ring = scratch + hw
        let k = alphaOverSize, b = bias, negBeta = -beta
        for nIndex in 0..<batches {
            let xb = x + nIndex * cCount * hw, yb = y + nIndex * cCount * hw
            for c in 0..<cCount {
                for j in 0..<hw { sum[j] = 0 }
                for ch in Swift.max(0, c - lo)...Swift.min(cCount - 1, c + hi) {
                    let p = xb + ch * hw
                    for j in 0..<hw { let v = p[j]; sum[j] += v * v }
                }
                let slot = ring + (c % slots) * hw
                scale(slot, sum, hw, k, b, negBeta)
                if c >= lo { write(c - lo, xb, yb, ring, slots) }
            }
            for ch in Swift.max(0, cCount - lo)..<cCount { write(ch, xb, yb, ring, slots) }
        }
    }

    /// `slot = (b + k * sum)^negBeta`. powf costs ~20x a square root: the betas models
    /// use (0.75 in AlexNet/GoogLeNet-style nets) get their root forms.
    @inline(__always)
    private func scale(_ slot: UnsafeMutablePointer<Float>, _ sum: UnsafeMutablePointer<Float>, _ hw: Int,
                       _ k: Float, _ b: Float, _ negBeta: Float) {
        if negBeta == -0.75 {
            for j in 0..<hw {
                let r = (b + k * sum[j]).squareRoot()
                slot[j] = 1 / (r * r.squareRoot())
            }
        } else if negBeta == -0.5 {
            for j in 0..<hw { slot[j] = 1 / (b + k * sum[j]).squareRoot() }
        } else if negBeta == -1 {
            for j in 0..<hw { slot[j] = 1 / (b + k * sum[j]) }
        } else {
            for j in 0..<hw { slot[j] = powf(b + k * sum[j], negBeta) }
        }
    }

    @inline(__always)
    private func write(_ c: Int, _ xb: UnsafePointer<Float>, _ yb: UnsafeMutablePointer<Float>,
                       _ ring: UnsafeMutablePointer<Float>, _ slots: Int) {
        let hw = plane
        let s = ring + (c % slots) * hw, src = xb + c * hw, dst = yb + c * hw
        for j in 0..<hw { dst[j] = src[j] * s[j] }
    }
}
