/// Depthwise 3×3 convolution, dilation 1, stride 1 or 2 (both axes): the MobileNet
/// workhorse, which spends about half its time here.
///
/// Border handling is what makes or breaks this kernel. With an interior/border split,
/// the border pixels need per-tap checks, and on MobileNet's small planes (14×14, 7×7)
/// half the outputs are border pixels: measured, the checked pixels cost more than all
/// the rest. So the plane is first copied into a zero-padded buffer (scratch), after
/// which every output, border or not, is the same nine loads from three padded rows:
/// one branch-free loop per row. The copy costs about one load and store per input
/// element against nine multiply-adds per output, and leaves the plane hot in cache.
///
/// The row loop is written with explicit 4-lane SIMD rather than left to the
/// auto-vectorizer: MobileNet rows are 7, 14 or 28 outputs, too short for a vectorized
/// loop that steps 8 at a time and finishes in scalar code, and stride 2 needs
/// de-interleaving loads (`evenHalf`/`oddHalf`, NEON's ld2) the vectorizer did not pick on
/// its own.
struct Depthwise3x3 {
    let h: WindowAxis
    let w: WindowAxis
    /// Padded plane extents: input plus the pads on both sides.
    let paddedH: Int
    let paddedW: Int

    init(h: WindowAxis, w: WindowAxis) {
        self.h = h
        self.w = w
        paddedH = h.input + h.padBefore + h.padAfter
        paddedW = w.input + w.padBefore + w.padAfter
    }

    /// The padded plane plus slack: a stride-2 step loads 8 inputs where it uses 7, so
    /// the last row may read a few floats past the plane (never used, but must exist).
    var scratchFloats: Int { paddedH * paddedW + Depthwise3x3.slack }
    static let slack = 16

    /// Zeroes the padded buffer; call once per run, before the planes. Each plane then
    /// overwrites only the inside, so the zero border stays valid for all of them.
    func clear(_ padded: UnsafeMutablePointer<Float>) {
        padded.update(repeating: 0, count: paddedH * paddedW)
    }

    /// Convolves one plane `x` with `filter` (9 weights, row-major) into `y`.
    func run(_ x: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: Float, activation: Activation,
             padded: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let inW = w.input, outW = w.output, pw = paddedW
        // Copy the plane inside the zero border.
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
            if outW < 4 {
                Depthwise3x3.rowScalar(r0, pw, filter, bias, row, outW, w.stride)
            } else if w.stride == 2 {
                Depthwise3x3.rowStride2(r0, pw, filter, bias, row, outW)
            } else {
                Depthwise3x3.rowStride1(r0, pw, filter, bias, row, outW)
            }
            if !smallPlane { activation.apply(row, count: outW) }
            r0 += rowStep
        }
        if smallPlane { activation.apply(y, count: h.output * outW) }
    }

    // One output row from three padded input rows (`r0`, `r0 + pw`, `r0 + 2*pw`).
    //
    // Four outputs per step; the last step is moved back to end exactly at outW
    // (recomputing a few outputs) instead of a scalar tail. Written as
    // `s += vector * scalar`, one tap per statement, each stride in its own function:
    // that compiles to plain load/multiply/add vector code, while one long expression
    // of splatted SIMD values, or both strides in one loop, came out partly scalarized.

    @inline(never)
    static func rowStride1(_ r0: UnsafePointer<Float>, _ pw: Int, _ f: UnsafePointer<Float>, _ bias: Float,
                           _ row: UnsafeMutablePointer<Float>, _ outW: Int) {
        let k0 = f[0], k1 = f[1], k2 = f[2], k3 = f[3], k4 = f[4], k5 = f[5], k6 = f[6], k7 = f[7], k8 = f[8]
        let r1 = r0 + pw, r2 = r1 + pw
        var ow = 0
        while true {
            if ow > outW &- 4 { ow = outW &- 4 }
            let a = r0 + ow, b = r1 + ow, c = r2 + ow
            var s = SIMD4<Float>(repeating: bias)
            s += load4(a) * k0
            s += load4(a + 1) * k1
            s += load4(a + 2) * k2
            s += load4(b) * k3
            s += load4(b + 1) * k4
            s += load4(b + 2) * k5
            s += load4(c) * k6
            s += load4(c + 1) * k7
            s += load4(c + 2) * k8
            UnsafeMutableRawPointer(row + ow).storeBytes(of: s, as: SIMD4<Float>.self)
            if ow == outW &- 4 { break }
            ow &+= 4
        }
    }

    /// 8 consecutive inputs split into even and odd lanes are taps 0 and 1 of four
    /// outputs; tap 2 is the even lanes of the 8 inputs two further on.
    @inline(never)
    static func rowStride2(_ r0: UnsafePointer<Float>, _ pw: Int, _ f: UnsafePointer<Float>, _ bias: Float,
                           _ row: UnsafeMutablePointer<Float>, _ outW: Int) {
        let k0 = f[0], k1 = f[1], k2 = f[2], k3 = f[3], k4 = f[4], k5 = f[5], k6 = f[6], k7 = f[7], k8 = f[8]
        let r1 = r0 + pw, r2 = r1 + pw
        var ow = 0
        while true {
            if ow > outW &- 4 { ow = outW &- 4 }
            let i = ow &<< 1
            let a = load8(r0 + i), b = load8(r1 + i), c = load8(r2 + i)
            var s = SIMD4<Float>(repeating: bias)
            s += a.evenHalf * k0
            s += a.oddHalf * k1
            s += load8(r0 + i + 2).evenHalf * k2
            s += b.evenHalf * k3
            s += b.oddHalf * k4
            s += load8(r1 + i + 2).evenHalf * k5
            s += c.evenHalf * k6
            s += c.oddHalf * k7
            s += load8(r2 + i + 2).evenHalf * k8
            UnsafeMutableRawPointer(row + ow).storeBytes(of: s, as: SIMD4<Float>.self)
            if ow == outW &- 4 { break }
            ow &+= 4
        }
    }

    /// Rows narrower than one vector.
    static func rowScalar(_ r0: UnsafePointer<Float>, _ pw: Int, _ f: UnsafePointer<Float>, _ bias: Float,
                          _ row: UnsafeMutablePointer<Float>, _ outW: Int, _ stride: Int) {
        let r1 = r0 + pw, r2 = r1 + pw
        for ow in 0..<outW {
            let i = ow &* stride
            let a = r0 + i, b = r1 + i, c = r2 + i
            var s = bias + f[0] * a[0] + f[1] * a[1] + f[2] * a[2]
            s += f[3] * b[0] + f[4] * b[1] + f[5] * b[2]
            s += f[6] * c[0] + f[7] * c[1] + f[8] * c[2]
            row[ow] = s
        }
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
