/// Direct convolution of one input plane with one kH×kW filter: the depthwise case
/// (each output channel reads a single input channel), any kernel, stride, dilation, pads.
///
/// im2col + GEMM is a poor fit here: with one input channel the GEMM has K = kH*kW
/// (9 for 3×3), so it does almost no work per byte of the column buffer it reads.
/// Instead each output row is built by one axpy per filter tap over the outputs where
/// that tap is in bounds (`row[ow] += w * x[ih, ow*s + off]`): no padding buffer, no
/// per-element checks, and for stride 1 the input access is contiguous.
///
/// `tapLo`/`tapHi` hold `w.outputs(tap:)` for every kw, computed once at load.
func depthwiseConvPlane(_ x: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: Float,
                        h: WindowAxis, w: WindowAxis, tapLo: [Int], tapHi: [Int],
                        activation: Activation, into y: UnsafeMutablePointer<Float>) {
    let inH = h.input, inW = w.input, outW = w.output
    let sw = w.stride
    for oh in 0..<h.output {
        let row = y + oh * outW
        for ow in 0..<outW { row[ow] = bias }
        for kh in 0..<h.kernel {
            let ih = oh * h.stride + kh * h.dilation - h.padBefore
            if ih < 0 || ih >= inH { continue }
            let xrow = x + ih * inW
            for kw in 0..<w.kernel {
                let wv = filter[kh * w.kernel + kw]
                let base = kw * w.dilation - w.padBefore   // input column of ow: ow*sw + base
                let lo = tapLo[kw], hi = tapHi[kw]
                // Wrapping index arithmetic: a checked multiply would block vectorization.
                let src = xrow + base
                if sw == 1 {
                    for ow in lo..<hi { row[ow] += wv * src[ow] }
                } else {
                    for ow in lo..<hi { row[ow] += wv * src[ow &* sw] }
                }
            }
        }
        activation.apply(row, count: outW)
    }
}
