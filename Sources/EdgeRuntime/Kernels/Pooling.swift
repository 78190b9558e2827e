/// 2-D max and average pooling over one channel plane.
///
/// Same shape as the depthwise kernel: each output row is initialised, then every tap
/// that lands inside the input is folded in with a branch-free loop over the outputs where
/// it is in bounds (`tapLo[kw]..<tapHi[kw]`, precomputed at load). Padding never enters
/// the result: a max ignores it (ONNX), an average divides by a per-output count
/// (`rowDivisor[oh] * colDivisor[ow]`), which is separable because the clipped window is a
/// rectangle. Index arithmetic in the inner loops wraps (`&*`): an overflow-checked
/// multiply would keep the compiler from vectorizing them.

/// Max pooling. A window with no tap inside the input (possible only with large
/// dilations) yields the lowest finite float, as onnxruntime does.
func maxPoolPlane(_ x: UnsafePointer<Float>, h: WindowAxis, w: WindowAxis,
                  tapLo: [Int], tapHi: [Int], into y: UnsafeMutablePointer<Float>) {
    let inH = h.input, inW = w.input, outW = w.output
    let sw = w.stride
    for oh in 0..<h.output {
        let row = y + oh * outW
        for ow in 0..<outW { row[ow] = -Float.greatestFiniteMagnitude }
        for kh in 0..<h.kernel {
            let ih = oh * h.stride + kh * h.dilation - h.padBefore
            if ih < 0 || ih >= inH { continue }
            let xrow = x + ih * inW
            for kw in 0..<w.kernel {
                let base = kw * w.dilation - w.padBefore
                let lo = tapLo[kw], hi = tapHi[kw]
                let src = xrow + base
                if sw == 1 {
                    for ow in lo..<hi { let v = src[ow]; row[ow] = v > row[ow] ? v : row[ow] }
                } else {
                    for ow in lo..<hi { let v = src[ow &* sw]; row[ow] = v > row[ow] ? v : row[ow] }
                }
            }
        }
    }
}

/// Average pooling (no dilation in ONNX AveragePool as Edge supports it).
func averagePoolPlane(_ x: UnsafePointer<Float>, h: WindowAxis, w: WindowAxis,
                      tapLo: [Int], tapHi: [Int], rowDivisor: [Float], colDivisor: [Float],
                      into y: UnsafeMutablePointer<Float>) {
    let inH = h.input, inW = w.input, outW = w.output
    let sw = w.stride
    for oh in 0..<h.output {
        let row = y + oh * outW
        for ow in 0..<outW { row[ow] = 0 }
        for kh in 0..<h.kernel {
            let ih = oh * h.stride + kh * h.dilation - h.padBefore
            if ih < 0 || ih >= inH { continue }
            let xrow = x + ih * inW
            for kw in 0..<w.kernel {
                let base = kw * w.dilation - w.padBefore
                let lo = tapLo[kw], hi = tapHi[kw]
                let src = xrow + base
                if sw == 1 {
                    for ow in lo..<hi { row[ow] += src[ow] }
                } else {
                    for ow in lo..<hi { row[ow] += src[ow &* sw] }
                }
            }
        }
        let rd = rowDivisor[oh]
        for ow in 0..<outW { row[ow] /= rd * colDivisor[ow] }
    }
}
