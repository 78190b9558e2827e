/// Reductions of a whole plane to one value (GlobalAveragePool, GlobalMaxPool).
///
/// Four independent accumulators: a single running sum is one long dependency chain the
/// compiler may not reorder (float addition is not associative), so this gives it four
/// chains to interleave or vectorize. The order differs from a sequential sum by rounding
/// only.

func planeSum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var i = 0
    while i + 4 <= count {
        s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3]
        i += 4
    }
    while i < count { s0 += x[i]; i += 1 }
    return (s0 + s1) + (s2 + s3)
}

func planeMax(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0]
    var i = 0
    while i + 4 <= count {
        m0 = x[i] > m0 ? x[i] : m0
        m1 = x[i + 1] > m1 ? x[i + 1] : m1
        m2 = x[i + 2] > m2 ? x[i + 2] : m2
        m3 = x[i + 3] > m3 ? x[i + 3] : m3
        i += 4
    }
    while i < count { m0 = x[i] > m0 ? x[i] : m0; i += 1 }
    let a = m0 > m1 ? m0 : m1, b = m2 > m3 ? m2 : m3
    return a > b ? a : b
}
