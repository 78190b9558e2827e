/// The 3×3, dilation 1 row kernels of `DepthwiseConv`, stride 1 and 2: the MobileNet
/// workhorse, which spends a large share of its time here. Fully unrolled: the nine
/// weights stay in registers and each step is nine vector loads and multiply-adds for
/// four outputs. See `DepthwiseConv` for the padded-plane scheme and why the code is
/// shaped this way.
extension DepthwiseConv {
    /// One output row from the padded rows `r0`, `r0 + pw`, `r0 + 2*pw`.
    @inline(never)
    static func row3x3Stride1(_ r0: UnsafePointer<Float>, _ pw: Int, _ f: UnsafePointer<Float>, _ bias: Float,
                              _ row: UnsafeMutablePointer<Float>, _ outW: Int) {
        let k0 = f[0], k1 = f[1], k2 = f[2], k3 = f[3], k4 = f[4], k5 = f[5], k6 = f[6], k7 = f[7], k8 = f[8]
        let r1 = r0 + pw, r2 = r1 + pw
        var ow = 0
        while true {
            if ow > outW &- 4 { ow = outW &- 4 }
            let a = r0 + ow, b = r1 + ow, c = r2 + ow
            var s = SIMD4<Float>(repeating: bias)
            madd(&s, load4(a), k0)
            madd(&s, load4(a + 1), k1)
            madd(&s, load4(a + 2), k2)
            madd(&s, load4(b), k3)
            madd(&s, load4(b + 1), k4)
            madd(&s, load4(b + 2), k5)
            madd(&s, load4(c), k6)
            madd(&s, load4(c + 1), k7)
            madd(&s, load4(c + 2), k8)
            UnsafeMutableRawPointer(row + ow).storeBytes(of: s, as: SIMD4<Float>.self)
            if ow == outW &- 4 { break }
            ow &+= 4
        }
    }

    /// 8 consecutive inputs split into even and odd lanes are taps 0 and 1 of four
    /// outputs; tap 2 is the even lanes of the 8 inputs two further on.
    @inline(never)
    static func row3x3Stride2(_ r0: UnsafePointer<Float>, _ pw: Int, _ f: UnsafePointer<Float>, _ bias: Float,
                              _ row: UnsafeMutablePointer<Float>, _ outW: Int) {
        let k0 = f[0], k1 = f[1], k2 = f[2], k3 = f[3], k4 = f[4], k5 = f[5], k6 = f[6], k7 = f[7], k8 = f[8]
        let r1 = r0 + pw, r2 = r1 + pw
        var ow = 0
        while true {
            if ow > outW &- 4 { ow = outW &- 4 }
            let i = ow &<< 1
            let a = load8(r0 + i), b = load8(r1 + i), c = load8(r2 + i)
            var s = SIMD4<Float>(repeating: bias)
            madd(&s, a.evenHalf, k0)
            madd(&s, a.oddHalf, k1)
            madd(&s, load8(r0 + i + 2).evenHalf, k2)
            madd(&s, b.evenHalf, k3)
            madd(&s, b.oddHalf, k4)
            madd(&s, load8(r1 + i + 2).evenHalf, k5)
            madd(&s, c.evenHalf, k6)
            madd(&s, c.oddHalf, k7)
            madd(&s, load8(r2 + i + 2).evenHalf, k8)
            UnsafeMutableRawPointer(row + ow).storeBytes(of: s, as: SIMD4<Float>.self)
            if ow == outW &- 4 { break }
            ow &+= 4
        }
    }
}
