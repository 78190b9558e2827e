/// Direct convolution for convs with one input channel per group (depthwise, with any
/// channel multiplier): any kernel size, stride, dilation and pads.
///
/// im2col + GEMM is a poor fit here: with one input channel the GEMM has K = kH*kW
/// (9 for 3×3), so it does almost no work per byte of the column buffer it reads.
///
/// Border handling is what makes or breaks this kernel. With an interior/border split,
/// border pixels need per-tap checks, and on MobileNet's small planes (14×14, 7×7) half
/// the outputs are border pixels: measured, the checked pixels cost more than all the
/// rest. So each input plane is first copied into a zero-padded buffer (the layer's
/// scratch), after which every output, border or not, is the same loads from the padded
/// rows: branch-free row loops. The copy costs about one load and store per input
/// element against kH*kW multiply-adds per output, and leaves the plane hot in cache.
///
/// Row kernels (one output row from the padded rows its window covers):
/// - 3×3, dilation 1, stride 1 or 2: fully unrolled (`Depthwise3x3.swift`), the
///   MobileNet case;
/// - any kernel/dilation with stride 1 or 2: four outputs per step in SIMD registers,
///   looping over the taps;
/// - anything else, or rows narrower than 4: scalar.
///
/// The SIMD row loops take four outputs per step and move the last step back to end
/// exactly at the row's end (recomputing a few outputs) instead of a scalar tail.
/// They are written with explicit 4-lane SIMD rather than left to the auto-vectorizer:
/// MobileNet rows are 7, 14 or 28 outputs, too short for a vectorized loop that steps
/// 8 at a time and finishes in scalar code, and stride 2 needs de-interleaving loads
/// (`evenHalf`/`oddHalf`, NEON's ld2) the vectorizer did not pick on its own. They
/// accumulate one tap per statement (`madd`: `s += vector * scalar`), each stride in its
/// own function: one long expression of splatted SIMD values, or both strides in one
/// loop, came out partly scalarized.
struct DepthwiseConv {
    enum Rows { case k3s1, k3s2, anyS1, anyS2, scalar }

    let h: WindowAxis
    let w: WindowAxis
    /// Padded plane extents: input plus the pads on both sides.
    let paddedH: Int
    let paddedW: Int
    let rows: Rows

    init(h: WindowAxis, w: WindowAxis) {
        self.h = h
        self.w = w
        paddedH = h.input + h.padBefore + h.padAfter
        paddedW = w.input + w.padBefore + w.padAfter
        let is3x3 = h.kernel == 3 && w.kernel == 3 && h.dilation == 1 && w.dilation == 1
        if w.output < 4 || w.stride > 2 {
            rows = .scalar
        } else if is3x3 {
            rows = w.stride == 1 ? .k3s1 : .k3s2
        } else {
            rows = w.stride == 1 ? .anyS1 : .anyS2
        }
    }

    /// Extra floats after the padded plane: a stride-2 step loads 8 inputs where it uses
    /// 7, so the last row may read a little past the plane (never used, but must exist).
    static let slack = 16

    /// Zeroes the padded buffer; call once per run, before the planes. Each plane then
    /// overwrites only the inside, so the zero border stays valid for all of them.
    func clear(_ padded: UnsafeMutablePointer<Float>) {
        padded.update(repeating: 0, count: paddedH * paddedW + DepthwiseConv.slack)
    }

    /// Convolves one plane `x` with `filter` (kH*kW weights, row-major) into `y`.
    func run(_ x: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: Float, activation: Activation,
             padded: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let inW = w.input, outW = w.output, pw = paddedW
        let inside = padded + (h.padBefore * pw + w.padBefore)
        for ih in 0..<h.input {
            (inside + ih * pw).update(from: x + ih * inW, count: inW)
        }

        let rowStep = h.stride * pw
        // A small output plane is still in L1 when finished: one activation call for all
        // of it beats one per (short) row. A large one gets it row by row, while hot.
        let smallPlane = h.output * outW <= 2048
        var r0 = UnsafePointer(padded)
        for oh in 0..<h.output {
            let row = y + oh * outW
            switch rows {
            case .k3s1: DepthwiseConv.row3x3Stride1(r0, pw, filter, bias, row, outW)
            case .k3s2: DepthwiseConv.row3x3Stride2(r0, pw, filter, bias, row, outW)
            case .anyS1: rowStride1(r0, filter, bias, row)
            case .anyS2: rowStride2(r0, filter, bias, row)
            case .scalar: rowScalar(r0, filter, bias, row)
            }
            if !smallPlane { activation.apply(row, count: outW) }
            r0 += rowStep
        }
        if smallPlane { activation.apply(y, count: h.output * outW) }
    }

    @inline(never)
    func rowStride1(_ r0: UnsafePointer<Float>, _ f: UnsafePointer<Float>, _ bias: Float,
                    _ row: UnsafeMutablePointer<Float>) {
        let outW = w.output, kH = h.kernel, kW = w.kernel
        let rowTap = h.dilation &* paddedW, colTap = w.dilation
        var ow = 0
        while true {
            if ow > outW &- 4 { ow = outW &- 4 }
            var s = SIMD4<Float>(repeating: bias)
            var r = r0 + ow
            var t = 0
            for _ in 0..<kH {
                var p = r
                for _ in 0..<kW {
                    DepthwiseConv.madd(&s, DepthwiseConv.load4(p), f[t])
                    p += colTap
                    t &+= 1
                }
                r += rowTap
            }
            UnsafeMutableRawPointer(row + ow).storeBytes(of: s, as: SIMD4<Float>.self)
            if ow == outW &- 4 { break }
            ow &+= 4
        }
    }

    @inline(never)
    func rowStride2(_ r0: UnsafePointer<Float>, _ f: UnsafePointer<Float>, _ bias: Float,
                    _ row: UnsafeMutablePointer<Float>) {
        let outW = w.output, kH = h.kernel, kW = w.kernel
        let rowTap = h.dilation &* paddedW, colTap = w.dilation
        var ow = 0
        while true {
            if ow > outW &- 4 { ow = outW &- 4 }
            var s = SIMD4<Float>(repeating: bias)
            var r = r0 + (ow &<< 1)
            var t = 0
            for _ in 0..<kH {
                var p = r
                for _ in 0..<kW {
                    DepthwiseConv.madd(&s, DepthwiseConv.load8(p).evenHalf, f[t])
                    p += colTap
                    t &+= 1
                }
                r += rowTap
            }
            UnsafeMutableRawPointer(row + ow).storeBytes(of: s, as: SIMD4<Float>.self)
            if ow == outW &- 4 { break }
            ow &+= 4
        }
    }

    func rowScalar(_ r0: UnsafePointer<Float>, _ f: UnsafePointer<Float>, _ bias: Float,
                   _ row: UnsafeMutablePointer<Float>) {
        let kH = h.kernel, kW = w.kernel
        let rowTap = h.dilation &* paddedW, colTap = w.dilation
        for ow in 0..<w.output {
            var s = bias
            var r = r0 + ow &* w.stride
            var t = 0
            for _ in 0..<kH {
                var p = r
                for _ in 0..<kW {
                    s += p[0] * f[t]
                    p += colTap
                    t &+= 1
                }
                r += rowTap
            }
            row[ow] = s
        }
    }

    /// `s += v * k`, fused where the target has a vector FMA (NEON's `fmla`, one
    /// instruction per tap). The x86-64 baseline has none: a fused op would become a
    /// libm call per lane there, so the host keeps a multiply and an add.
    @inline(__always)
    static func madd(_ s: inout SIMD4<Float>, _ v: SIMD4<Float>, _ k: Float) {
        #if arch(arm64)
        s.addProduct(v, k)
        #else
        s += v * k
        #endif
    }

    @inline(__always)
    static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
}
