import EdgeFormat

/// MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool from the ONNX definitions,
/// 2-D NCHW, one output element at a time.
///
/// `pads` is `[top, left, bottom, right]`; `kernel`, `strides`, `dilations` are `[h, w]`.
/// Output extents follow ONNX with `ceilMode`, plus the rule onnxruntime applies in ceil
/// mode: a last window that would start past the input and its leading pad is dropped.
/// A window that hangs past the padded input is clipped.
public enum PoolReference {
    public static func poolOutput(input: Int, kernel: Int, stride: Int, dilation: Int,
                                  padBegin: Int, padEnd: Int, ceilMode: Bool) -> Int {
        let room = input + padBegin + padEnd - ((kernel - 1) * dilation + 1)
        var out = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1
        if ceilMode && (out - 1) * stride >= input + padBegin { out -= 1 }
        return out
    }

    public static func maxPool(x: [Float], xShape: [Int], kernel: [Int], strides: [Int], dilations: [Int],
                               pads: [Int], ceilMode: Bool) -> (values: [Float], shape: [Int]) {
        let n = xShape[0], c = xShape[1], inH = xShape[2], inW = xShape[3]
        let outH = poolOutput(input: inH, kernel: kernel[0], stride: strides[0], dilation: dilations[0],
                              padBegin: pads[0], padEnd: pads[2], ceilMode: ceilMode)
        let outW = poolOutput(input: inW, kernel: kernel[1], stride: strides[1], dilation: dilations[1],
                              padBegin: pads[1], padEnd: pads[3], ceilMode: ceilMode)
        var y = [Float](repeating: 0, count: n * c * outH * outW)
        for p in 0..<(n * c) {
            for oh in 0..<outH {
                for ow in 0..<outW {
                    var best = -Float.greatestFiniteMagnitude
                    for kh in 0..<kernel[0] {
                        let ih = oh * strides[0] - pads[0] + kh * dilations[0]
                        if ih < 0 || ih >= inH { continue }
                        for kw in 0..<kernel[1] {
                            let iw = ow * strides[1] - pads[1] + kw * dilations[1]
                            if iw < 0 || iw >= inW { continue }
                            best = Swift.max(best, x[(p * inH + ih) * inW + iw])
                        }
                    }
                    y[(p * outH + oh) * outW + ow] = best
                }
            }
        }
        return (y, [n, c, outH, outW])
    }

    /// count_include_pad false: divide by the real input elements in the window; true:
    /// by the window clipped to the input + pads region (onnxruntime's behaviour).
    public static func averagePool(x: [Float], xShape: [Int], kernel: [Int], strides: [Int], pads: [Int],
                                   ceilMode: Bool, countIncludePad: Bool) -> (values: [Float], shape: [Int]) {
        let n = xShape[0], c = xShape[1], inH = xShape[2], inW = xShape[3]
        let outH = poolOutput(input: inH, kernel: kernel[0], stride: strides[0], dilation: 1,
                              padBegin: pads[0], padEnd: pads[2], ceilMode: ceilMode)
        let outW = poolOutput(input: inW, kernel: kernel[1], stride: strides[1], dilation: 1,
                              padBegin: pads[1], padEnd: pads[3], ceilMode: ceilMode)
        var y = [Float](repeating: 0, count: n * c * outH * outW)
        for p in 0..<(n * c) {
            for oh in 0..<outH {
                for ow in 0..<outW {
                    let h0 = oh * strides[0] - pads[0], w0 = ow * strides[1] - pads[1]
                    var sum = 0.0
                    var real = 0
                    var padded = 0
                    for ih in h0..<(h0 + kernel[0]) {
                        for iw in w0..<(w0 + kernel[1]) {
                            if ih < inH + pads[2] && iw < inW + pads[3] { padded += 1 }
                            if ih < 0 || ih >= inH || iw < 0 || iw >= inW { continue }
                            sum += Double(x[(p * inH + ih) * inW + iw])
                            real += 1
                        }
                    }
                    y[(p * outH + oh) * outW + ow] = Float(sum / Double(countIncludePad ? padded : real))
                }
            }
        }
        return (y, [n, c, outH, outW])
    }

    /// Mean (or max) of every [N, C] plane; output shape [N, C, 1, ...] of X's rank.
    public static func globalPool(x: [Float], xShape: [Int], max: Bool) -> (values: [Float], shape: [Int]) {
        let planes = xShape[0] * xShape[1]
        let size = x.count / planes
        var y = [Float](repeating: 0, count: planes)
        for p in 0..<planes {
            if max {
                var best = -Float.infinity
                for i in 0..<size { best = Swift.max(best, x[p * size + i]) }
                y[p] = best
            } else {
                var sum = 0.0
                for i in 0..<size { sum += Double(x[p * size + i]) }
                y[p] = Float(sum / Double(size))
            }
        }
        return (y, [xShape[0], xShape[1]] + [Int](repeating: 1, count: xShape.count - 2))
    }
}
