/// col2im: the adjoint of `im2col`, used by ConvTranspose.
///
/// ConvTranspose is computed as `col[M*kH*kW, H*W] = W^T * X` (every input pixel times
/// every weight tap), then each column entry is added into the output pixel it lands on:
/// `Y[m, ih*s - pad + kh*d, iw*s - pad + kw*d] += col[(m, kh, kw), (ih, iw)]`.
///
/// `h` and `w` describe the window with the roles of the tensors swapped: their `input`
/// is the ConvTranspose output extent and their `output` the ConvTranspose input extent,
/// so `outputs(tap:)` yields the input pixels whose tap lands inside Y — the loops then
/// need no bounds checks. Entries landing in the cropped padding are dropped.
func col2imAdd(_ col: UnsafePointer<Float>, channels: Int, h: WindowAxis, w: WindowAxis,
               into y: UnsafeMutablePointer<Float>) {
    let outH = h.input, outW = w.input
    let inH = h.output, inW = w.output
    let sw = w.stride
    var row = col
    for m in 0..<channels {
        let plane = y + m * outH * outW
        for kh in 0..<h.kernel {
            let hOffset = kh * h.dilation - h.padBefore
            let rows = h.outputs(tap: kh)
            for kw in 0..<w.kernel {
                let wOffset = kw * w.dilation - w.padBefore
                let cols = w.outputs(tap: kw)
                for ih in rows {
                    let base = (ih * h.stride + hOffset) * outW + wOffset  // Y index of iw: base + iw*sw
                    let src = row + ih * inW
                    let dst = plane + base
                    if sw == 1 {
                        for iw in cols { dst[iw] += src[iw] }
                    } else {
                        for iw in cols { dst[iw &* sw] += src[iw] }   // wrapping: keeps it vectorizable
                    }
                }
                row += inH * inW
            }
        }
    }
}
