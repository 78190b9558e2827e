/// exp over the lanes of an `FloatVector` at once.
///
/// libm's expf is one call per element (~5 ns here): sigmoid and SiLU epilogues and
/// softmax were bound by it (a YOLO head's Sigmoid over 170K values took 0.9 ms). This is
/// the classic range reduction x = n ln2 + r, |r| <= ln2/2, with a degree-6 polynomial for
/// e^r (Cephes' coefficients) and 2^n built in the exponent bits: about 1-2 ulp, well
/// inside the 1e-5 relative tolerance the kernels are tested to.
@inline(__always)
func vectorExp(_ x: FloatVector) -> FloatVector {
    // Only operations that map to vector instructions: the generic SIMD helpers
    // (`clamped`, `rounded`, float-to-int conversions) run lane by lane and made this
    // slower than scalar expf.
    let lo = FloatVector(repeating: -87.33654), hi = FloatVector(repeating: 88.72283)
    var xc = x.replacing(with: lo, where: x .< lo)
    xc = xc.replacing(with: hi, where: xc .> hi)
    // n = round(x / ln2) by the 1.5 * 2^23 trick: the sum's low mantissa bits hold n.
    let magic = FloatVector(repeating: 12_582_912)
    let shifted = xc * 1.442695041 + magic
    let n = shifted - magic
    let nInt = unsafeBitCast(shifted, to: FloatVector.MaskStorage.self) &- 0x4B40_0000
    // ln2 split in two so n * ln2 is exact in its high part.
    let r = xc - n * 0.693359375 + n * 2.12194440e-4
    var p = FloatVector(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * r * r + r + 1
    // 2^n as 2 * 2^(n-1): n reaches 128 at the top of the range, one past Float's exponent.
    let bits = (nInt &+ 126) &<< 23
    return er * 2 * unsafeBitCast(bits, to: FloatVector.self)
}

/// The vector of the elementwise loops (Binary, `vectorExp`, `FusedActivation.lanes`): one
/// register, 8 lanes (AVX) on x86 and 4 (NEON) on ARM, where 8 lanes were two registers per
/// operation (device: Binary's loops -208 B, softmax -224 B).
#if arch(arm64) || arch(arm)
typealias FloatVector = SIMD4<Float>
#else
typealias FloatVector = SIMD8<Float>
#endif
