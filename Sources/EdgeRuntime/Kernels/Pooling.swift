/// 2-D max and average pooling over one channel plane.
///
/// Same shape as the depthwise kernel: each output row is initialised, then every tap
/// that lands inside the input is folded in with a branch-free loop over the outputs where
/// it is in bounds (`tapLo[kw]..<tapHi[kw]`, precomputed at load). Padding never enters
/// the result: a max ignores it (ONNX), an average divides by a per-output count
/// (`rowDivisor[oh] * colDivisor[ow]`), which is separable because the clipped window is a
/// rectangle. Index arithmetic wraps (`&*`, `&+`; every offset stays inside the planes
/// load checked): an overflow-checked multiply would keep the compiler from vectorizing
/// the inner loops, and the checks elsewhere were code (max pool: -320 B on the device).

/// Max pooling. A window with no tap inside the input (possible only with large
/// dilations) yields the lowest finite float, as onnxruntime does.
func maxPoolPlane(_ x: UnsafePointer<Float>, h: WindowAxis, w: WindowAxis,
                  tapLo: [Int], tapHi: [Int], into y: UnsafeMutablePointer<Float>) {
    let inH = h.input, inW = w.input, outW = w.output
    let sw = w.stride
    for oh in 0..<h.output {
        let row = y + oh &* outW
        for ow in 0..<outW { row[ow] = -Float.greatestFiniteMagnitude }
        for kh in 0..<h.kernel {
            let ih = oh &* h.stride &+ kh &* h.dilation &- h.padBefore
            if ih < 0 || ih >= inH { continue }
            let xrow = x + ih &* inW
            for kw in 0..<w.kernel {
                let base = kw &* w.dilation &- w.padBefore
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

/// Max pooling over a row buffer, for dilation-free windows along W that are either
/// stride 2 and 2 or 3 wide (ResNet's 3×3/2 stem pool, the classic 2×2/2) or stride 1 and
/// any width (YOLO's 5×5/1 SPPF pools), with at least 8 outputs per row; any window along H.
///
/// Each output row is two passes over a row buffer (`row`, from scratch):
/// 1. the max of the window's input rows inside the input, element-wise, written at
///    `row[padLeft ..< padLeft + inW]` between -inf margins (padding never wins a max,
///    and a ceil-mode window clipped by the input's end takes the max of what remains);
/// 2. output `ow` is the max of `row[s*ow ..< s*ow + kW]`, 8 outputs per step. Stride 2:
///    two 16-wide loads split into even and odd lanes; stride 1: one 8-wide load per tap.
///    The last step is moved back to end at the row's end (recomputing a few outputs)
///    instead of a scalar tail.
/// The separable order costs kH + kW vector maxes per 8 outputs instead of kH * kW.
struct MaxPoolRows {
    let h: WindowAxis
    let w: WindowAxis
    /// Floats of the row buffer.
    let rowFloats: Int

    /// Lane-wise max as compare + select (the stdlib's `pointwiseMax` is a slow generic
    /// loop with NaN rules here).
    @inline(__always)
    static func vmax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .> a)
    }

    static func applies(h: WindowAxis, w: WindowAxis) -> Bool {
        guard w.dilation == 1 && w.output >= 8 else { return false }
        return w.stride == 1 || (w.stride == 2 && (w.kernel == 2 || w.kernel == 3))
    }

    init(h: WindowAxis, w: WindowAxis) {
        self.h = h
        self.w = w
        // Pass 2 reads up to row[s*(outW - 8) + 16 + 8] (stride 2) or row[outW + kW + 8].
        rowFloats = Swift.max(w.padBefore + w.input, w.stride * w.output + w.kernel) + 32
    }

    func run(_ x: UnsafePointer<Float>, row: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let inH = h.input, inW = w.input, outW = w.output
        let lowest = -Float.greatestFiniteMagnitude
        let left = w.padBefore
        row.update(repeating: lowest, count: rowFloats)
        let inner = row + left
        for oh in 0..<h.output {
            // Pass 1: vertical max of the rows inside the input.
            var first = true
            for kh in 0..<h.kernel {
                let ih = oh &* h.stride &+ kh &* h.dilation &- h.padBefore
                if ih < 0 || ih >= inH { continue }
                let src = x + ih &* inW
                if first {
                    inner.update(from: src, count: inW)
                    first = false
                } else {
                    var i = 0
                    while i &+ 8 <= inW {
                        let a = UnsafeRawPointer(inner + i).loadUnaligned(as: SIMD8<Float>.self)
                        let b = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(inner + i).storeBytes(of: MaxPoolRows.vmax(a, b), as: SIMD8<Float>.self)
                        i &+= 8
                    }
                    while i < inW { inner[i] = Swift.max(inner[i], src[i]); i &+= 1 }
                }
            }
            if first { inner.update(repeating: lowest, count: inW) }
            // Pass 2: horizontal max.
            let out = y + oh &* outW
            if w.stride == 2 {
                horizontalStride2(row, into: out)
            } else {
                horizontalStride1(row, into: out)
            }
        }
    }

    private func horizontalStride2(_ row: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let outW = w.output
        let three = w.kernel == 3
        var ow = 0
        while true {
            if ow > outW &- 8 { ow = outW &- 8 }
            let p = UnsafeRawPointer(row + 2 &* ow)
            let a = p.loadUnaligned(as: SIMD16<Float>.self)
            var m = MaxPoolRows.vmax(a.evenHalf, a.oddHalf)
            if three {
                m = MaxPoolRows.vmax(m, (p + 8).loadUnaligned(as: SIMD16<Float>.self).evenHalf)
            }
            UnsafeMutableRawPointer(out + ow).storeBytes(of: m, as: SIMD8<Float>.self)
            if ow == outW &- 8 { break }
            ow &+= 8
        }
    }

    private func horizontalStride1(_ row: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let outW = w.output, kW = w.kernel
        var ow = 0
        while true {
            if ow > outW &- 8 { ow = outW &- 8 }
            let p = UnsafeRawPointer(row + ow)
            var m = p.loadUnaligned(as: SIMD8<Float>.self)
            var kw = 1
            while kw < kW {
                m = MaxPoolRows.vmax(m, (p + kw &* 4).loadUnaligned(as: SIMD8<Float>.self))
                kw &+= 1
            }
            UnsafeMutableRawPointer(out + ow).storeBytes(of: m, as: SIMD8<Float>.self)
            if ow == outW &- 8 { break }
            ow &+= 8
        }
    }
}
