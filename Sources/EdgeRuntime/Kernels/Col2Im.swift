/// col2im: the adjoint of `im2col`, used by ConvTranspose.
///
/// ConvTranspose is computed as `col[M*kH*kW, P] = W^T * X[:, P]` (every input pixel of a
/// range P times every weight tap), then each column entry is added into the output pixel
/// it lands on: `Y[m, ih*s - pad + kh*d, iw*s - pad + kw*d] += col[(m, kh, kw), (ih, iw)]`.
/// The range P is `count` consecutive input positions from `first` (flattened
/// `ih * W + iw`), so the caller can cover the input in tiles and bound the scratch.
///
/// `h` and `w` describe the window with the roles of the tensors swapped: their `input`
/// is the ConvTranspose output extent and their `output` the ConvTranspose input extent,
/// so `outputs(tap:)` yields the input pixels whose tap lands inside Y — the loops then
/// need no bounds checks. Entries landing in the cropped padding are dropped.
func col2imAdd(_ col: UnsafePointer<Float>, channels: Int, h: WindowAxis, w: WindowAxis,
               first: Int, count: Int, into y: UnsafeMutablePointer<Float>) {
    let outH = h.input, outW = w.input
    let inW = w.output
    let sw = w.stride
    var row = col
    for m in 0..<channels {
        let plane = y + m * outH * outW
        for kh in 0..<h.kernel {
            let hOffset = kh * h.dilation - h.padBefore
            let rows = h.outputs(tap: kh)
            for kw in 0..<w.kernel {
                let wOffset = kw * w.dilation - w.padBefore
                let valid = w.outputs(tap: kw)
                var p = first
                var j = 0
                while j < count {
                    let ih = p / inW
                    let iw0 = p - ih * inW
                    let seg = Swift.min(inW - iw0, count - j)
                    if rows.contains(ih) {
                        let lo = Swift.min(Swift.max(valid.lowerBound, iw0), iw0 + seg)
                        let hi = Swift.max(Swift.min(valid.upperBound, iw0 + seg), lo)
                        let src = row + (j - iw0)                                   // src[iw]
                        let dst = plane + ((ih * h.stride + hOffset) * outW + wOffset)  // dst[iw * sw]
                        if sw == 1 {
                            for iw in lo..<hi { dst[iw] += src[iw] }
                        } else {
                            for iw in lo..<hi { dst[iw &* sw] += src[iw] }   // wrapping: keeps it vectorizable
                        }
                    }
                    j += seg
                    p += seg
                }
                row += count
            }
        }
    }
}
