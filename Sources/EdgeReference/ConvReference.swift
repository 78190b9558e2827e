import EdgeFormat

/// Conv and ConvTranspose straight from the ONNX operator definitions: one output (or
/// one input) element at a time, nested loops, Double accumulation, no tricks.
///
/// Tensors are row-major `[Float]` with explicit shapes, NCHW. `pads` is ONNX's order
/// `[top, left, bottom, right]`; `strides`, `dilations`, `outputPadding` are `[h, w]`.
public enum ConvReference {
    /// ONNX Conv output extent along one axis.
    public static func convOutput(input: Int, kernel: Int, stride: Int, dilation: Int,
                                  padBegin: Int, padEnd: Int) -> Int {
        (input + padBegin + padEnd - ((kernel - 1) * dilation + 1)) / stride + 1
    }

    /// ONNX ConvTranspose output extent along one axis.
    public static func convTransposeOutput(input: Int, kernel: Int, stride: Int, dilation: Int,
                                           padBegin: Int, padEnd: Int, outputPadding: Int) -> Int {
        stride * (input - 1) + outputPadding + ((kernel - 1) * dilation + 1) - padBegin - padEnd
    }

    /// Y = act(Conv(X, W, B)); X [N, C, H, W], W [M, C/group, kH, kW], B [M] or nil.
    public static func conv(x: [Float], xShape: [Int], w: [Float], wShape: [Int], b: [Float]?,
                            group: Int, strides: [Int], dilations: [Int], pads: [Int],
                            activation: ActivationKind = .none, alpha: Float = 0, beta: Float = 0)
        -> (values: [Float], shape: [Int]) {
        let n = xShape[0], c = xShape[1], inH = xShape[2], inW = xShape[3]
        let m = wShape[0], cg = wShape[1], kH = wShape[2], kW = wShape[3]
        precondition(cg * group == c && m % group == 0, "bad group")
        let mg = m / group
        let outH = convOutput(input: inH, kernel: kH, stride: strides[0], dilation: dilations[0],
                              padBegin: pads[0], padEnd: pads[2])
        let outW = convOutput(input: inW, kernel: kW, stride: strides[1], dilation: dilations[1],
                              padBegin: pads[1], padEnd: pads[3])
        var y = [Float](repeating: 0, count: n * m * outH * outW)
        for bi in 0..<n {
            for oc in 0..<m {
                let g = oc / mg
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        var acc = Double(b?[oc] ?? 0)
                        for ci in 0..<cg {
                            let ic = g * cg + ci
                            for kh in 0..<kH {
                                let ih = oh * strides[0] - pads[0] + kh * dilations[0]
                                if ih < 0 || ih >= inH { continue }
                                for kw in 0..<kW {
                                    let iw = ow * strides[1] - pads[1] + kw * dilations[1]
                                    if iw < 0 || iw >= inW { continue }
                                    let xv = x[((bi * c + ic) * inH + ih) * inW + iw]
                                    let wv = w[((oc * cg + ci) * kH + kh) * kW + kw]
                                    acc += Double(xv) * Double(wv)
                                }
                            }
                        }
                        y[((bi * m + oc) * outH + oh) * outW + ow] =
                            referenceActivation(activation, alpha: alpha, beta: beta, value: Float(acc))
                    }
                }
            }
        }
        return (y, [n, m, outH, outW])
    }

    /// Y = act(ConvTranspose(X, W, B)); X [N, C, H, W], W [C, M/group, kH, kW], B [M] or nil.
    /// Every input element is scattered onto the outputs its kernel taps reach.
    public static func convTranspose(x: [Float], xShape: [Int], w: [Float], wShape: [Int], b: [Float]?,
                                     group: Int, strides: [Int], dilations: [Int], pads: [Int],
                                     outputPadding: [Int],
                                     activation: ActivationKind = .none, alpha: Float = 0, beta: Float = 0)
        -> (values: [Float], shape: [Int]) {
        let n = xShape[0], c = xShape[1], inH = xShape[2], inW = xShape[3]
        let mg = wShape[1], kH = wShape[2], kW = wShape[3]
        precondition(wShape[0] == c && c % group == 0, "bad group")
        let cg = c / group, m = mg * group
        let outH = convTransposeOutput(input: inH, kernel: kH, stride: strides[0], dilation: dilations[0],
                                       padBegin: pads[0], padEnd: pads[2], outputPadding: outputPadding[0])
        let outW = convTransposeOutput(input: inW, kernel: kW, stride: strides[1], dilation: dilations[1],
                                       padBegin: pads[1], padEnd: pads[3], outputPadding: outputPadding[1])
        var acc = [Double](repeating: 0, count: n * m * outH * outW)
        for bi in 0..<n {
            for oc in 0..<m {
                let bias = Double(b?[oc] ?? 0)
                for i in 0..<(outH * outW) { acc[(bi * m + oc) * outH * outW + i] = bias }
            }
            for ic in 0..<c {
                let g = ic / cg
                for ih in 0..<inH {
                    for iw in 0..<inW {
                        let xv = Double(x[((bi * c + ic) * inH + ih) * inW + iw])
                        for mi in 0..<mg {
                            let oc = g * mg + mi
                            for kh in 0..<kH {
                                let oh = ih * strides[0] - pads[0] + kh * dilations[0]
                                if oh < 0 || oh >= outH { continue }
                                for kw in 0..<kW {
                                    let ow = iw * strides[1] - pads[1] + kw * dilations[1]
                                    if ow < 0 || ow >= outW { continue }
                                    let wv = Double(w[((ic * mg + mi) * kH + kh) * kW + kw])
                                    acc[((bi * m + oc) * outH + oh) * outW + ow] += xv * wv
                                }
                            }
                        }
                    }
                }
            }
        }
        let y = acc.map { referenceActivation(activation, alpha: alpha, beta: beta, value: Float($0)) }
        return (y, [n, m, outH, outW])
    }
}
