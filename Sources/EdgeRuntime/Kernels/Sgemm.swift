import CEdgeSupport

/// Row-major `C = op(A) * op(B) + beta * C` through OpenBLAS, with `Int` arguments.
///
/// Every size reaching here was checked against `SizeCheck.maxElements` at load, so the
/// narrowing to the `int` of the CBLAS interface cannot truncate.
@inline(__always)
func rowMajorSgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                   a: UnsafePointer<Float>, lda: Int,
                   b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans,
                Int32(truncatingIfNeeded: m), Int32(truncatingIfNeeded: n), Int32(truncatingIfNeeded: k),
                1, a, Int32(truncatingIfNeeded: lda),
                b, Int32(truncatingIfNeeded: ldb),
                beta, c, Int32(truncatingIfNeeded: ldc))
}
