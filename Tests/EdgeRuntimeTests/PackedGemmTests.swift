import CEdgeSupport
import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest

/// Edge's packed SGEMM (edge_gemm.c) against `GemmReference.gemm`, for every register-tile
/// kernel this CPU runs: random shapes around the tile edges (M, N not multiples of
/// MR/NR, 1-row and 1-column products), K = 0 and 1, K across several K blocks (256) and
/// N across several packed blocks, strided operands and a transposed C, bias, every
/// fused activation kind and a residual in the store (full tiles apply them on the
/// registers with the vector exp, edge tiles with libm), accumulation, and sub-ranges of
/// rows and columns (a thread's share).
final class PackedGemmTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var m = 1, n = 1, k = 1
        var transposeR = false, transposeC = false
        var bias = false, accumulate = false, residual = false
        var act = ActivationKind.none
        var alpha: Float = 0, beta: Float = 0
        var rows = 0..<1, cols = 0..<1

        var description: String {
            "M\(m) N\(n) K\(k) R^T \(transposeR) C^T \(transposeC) bias \(bias) acc \(accumulate) "
                + "residual \(residual) \(act)(\(alpha), \(beta)) rows \(rows) cols \(cols)"
        }
    }

    static func randomCase(_ rng: inout SeededRNG, kernel: edge_gemm_kernel) -> Case {
        var t = Case()
        let mr = kernel.mr, nr = kernel.nr
        // mr + mr / 3 and mr + 2 mr / 3 (+ 1): the last row panel on a short-rows tile
        // (AVX-512), or one row too many for it.
        t.m = rng.pick([1, 2, mr - 1, mr, mr + 1, 2 * mr + 3, rng.int(1...70), 121, 130, mr + mr / 3,
                        mr + mr / 3 + 1, mr + 2 * mr / 3, mr + 2 * mr / 3 + 1])
        // nr / 2 and 2.5 nr: a last panel the half-width tile stores directly; nr / 2 + a
        // few (the half tile and the column tile) and 4: the column tile alone.
        let few = Int(EDGE_GEMM_COLS_MAX)
        t.n = rng.pick([1, 3, nr - 1, nr, nr + 1, 3 * nr + 5, rng.int(1...100), 49, 197, nr / 2, 2 * nr + nr / 2,
                        nr / 2 + few, nr + nr / 2 + 1, 4, few + 1])
        t.k = rng.pick([0, 1, 1, 2, 3, 9, 27, rng.int(1...300), 256, 257, 600])
        if rng.int(0...9) == 0 { t.n = rng.pick([400, 800, 1100]) }   // several packed R blocks
        while t.m * t.n * t.k > 1_500_000 { t.k /= 2 }                   // keep the reference fast
        t.transposeR = rng.bool(0.3)
        t.transposeC = rng.bool(0.2)
        t.bias = rng.bool()
        t.accumulate = rng.bool(0.3)
        t.residual = rng.bool(0.3)
        (t.act, t.alpha, t.beta) = PackedGemmTests.randomActivation(&rng)
        t.rows = 0..<t.m
        t.cols = 0..<t.n
        if rng.bool(0.3) {
            // A share: rows from a multiple of MR, any columns.
            let r0 = rng.int(0...((t.m - 1) / mr)) * mr
            t.rows = r0..<rng.int((r0 + 1)...t.m)
            let c0 = rng.int(0...(t.n - 1))
            t.cols = c0..<rng.int((c0 + 1)...t.n)
        }
        return t
    }

    func check(_ t: Case, kernel: UnsafePointer<edge_gemm_kernel>, _ rng: inout SeededRNG,
               file: StaticString = #filePath, line: UInt = #line) {
        let name = String(cString: kernel.pointee.name)
        let l = rng.floats(t.m * t.k)
        let r = rng.floats(t.k * t.n)
        let bias = rng.floats(t.m)
        let before = rng.floats(t.m * t.n)
        let residual = rng.floats(t.m * t.n)
        // Reference (row-major [M, N]), then the epilogue on the selected rows/columns.
        let product = GemmReference.gemm(a: l, aShape: [t.m, t.k], b: r, bShape: t.transposeR ? [t.n, t.k] : [t.k, t.n],
                                         c: nil, cShape: [], alpha: 1, beta: 0, transA: false, transB: t.transposeR).values
        var expected = before
        for i in t.rows {
            for j in t.cols {
                let v = product[i * t.n + j] + (t.accumulate ? before[i * t.n + j] : 0) + (t.bias ? bias[i] : 0)
                    + (t.residual ? residual[i * t.n + j] : 0)
                expected[i * t.n + j] = referenceActivation(t.act, alpha: t.alpha, beta: t.beta, value: v)
            }
        }
        // Storage: C row-major or transposed; R as given (strides say which).
        let (rsc, csc) = t.transposeC ? (1, t.m) : (t.n, 1)
        let (rsr, csr) = t.transposeR ? (1, t.k) : (t.n, 1)
        let c = TestTensor(shape: [t.m * t.n])
        let res = TestTensor(shape: [t.m * t.n])
        for i in 0..<t.m {
            for j in 0..<t.n {
                c.data[i * rsc + j * csc] = before[i * t.n + j]
                res.data[i * rsc + j * csc] = residual[i * t.n + j]
            }
        }
        let packed = TestTensor(shape: [Int(edge_gemm_packed_floats(kernel, t.m, t.k))])
        edge_gemm_pack_left(kernel, l, t.k, 1, t.m, t.k, packed.data)
        let scratch = TestTensor(shape: [Int(edge_gemm_scratch_floats(kernel, t.cols.count, t.k))])
        for i in 0..<scratch.count { scratch.data[i] = .nan }
        bias.withUnsafeBufferPointer { bp in
            r.withUnsafeBufferPointer { rp in
                var ep = edge_gemm_epilogue(bias: t.bias ? bp.baseAddress : nil, residual: t.residual ? UnsafePointer(res.data) : nil,
                                            act: edge_activation(kind: Int(t.act.rawValue), alpha: t.alpha, beta: t.beta),
                                            accumulate: t.accumulate ? 1 : 0)
                edge_gemm_part(kernel, t.m, t.k, packed.data, rp.baseAddress, rsr, csr, c.data, rsc, csc, &ep,
                               t.rows.lowerBound, t.rows.upperBound, t.cols.lowerBound, t.cols.upperBound,
                               scratch.data)
            }
        }
        var actual = [Float](repeating: 0, count: t.m * t.n)
        for i in 0..<t.m { for j in 0..<t.n { actual[i * t.n + j] = c.data[i * rsc + j * csc] } }
        // Float sums of K products against a Double reference: the rounding grows ~sqrt(K)
        // (M130 N8 K600 differed by 1.2e-5 at a value of 0.078, a sum of terms up to 1).
        let tolerance: Float = 1e-5 * Swift.max(1, Float(t.k).squareRoot() / 8)
        assertClose(actual, expected, tolerance: tolerance, "\(name): \(t)", file: file, line: line)
        XCTAssertTrue(c.guardIntact && packed.guardIntact && scratch.guardIntact && res.guardIntact,
                      "\(name) wrote out of bounds: \(t)", file: file, line: line)
    }

    /// Any fused activation with the parameters exporters give it (and others).
    static func randomActivation(_ rng: inout SeededRNG) -> (ActivationKind, Float, Float) {
        switch rng.int(0...9) {
        case 0: return (.relu, 0, 0)
        case 1: return (.clip, rng.pick([0, -0.3]), rng.pick([0.4, 6]))
        case 2: return (.leakyRelu, rng.pick([0.01, 0.1]), 0)
        case 3: return (.hardSigmoid, 0.2, 0.5)
        case 4: return (.hardSwish, 1.0 / 6.0, 0.5)
        case 5: return (.sigmoid, 0, 0)
        case 6: return (.swish, 0, 0)
        case 7: return (.tanh, 0, 0)
        default: return (.none, 0, 0)
        }
    }

    func testEveryKernelAgainstTheReference() {
        let count = edge_gemm_kernel_count()
        XCTAssertGreaterThanOrEqual(count, 1)
        for i in 0..<count {
            let kernel = edge_gemm_kernel_at(i)!
            var rng = SeededRNG(seed: 0x6E44 &+ UInt64(i))
            for _ in 0..<240 { check(PackedGemmTests.randomCase(&rng, kernel: kernel.pointee), kernel: kernel, &rng) }
        }
    }

    /// The kernel the runtime uses is the first one (tested above) and has a sane tile.
    func testBestKernelIsListedFirst() {
        let best = edge_gemm_best()!
        XCTAssertEqual(best, edge_gemm_kernel_at(0))
        XCTAssertGreaterThan(best.pointee.mr, 0)
        XCTAssertGreaterThan(best.pointee.nr, 0)
    }

    /// gemv over weight rows (Gemm with one row) against the reference, with and without
    /// accumulation, row counts around its 4-row blocking, depths around the vector width.
    func testGemvRows() {
        var rng = SeededRNG(seed: 0x6E45)
        for _ in 0..<120 {
            let n = rng.int(1...19), k = rng.pick([0, 1, 3, 7, 8, 9, 16, 17, rng.int(1...300)])
            let ld = k + rng.int(0...3)
            let w = rng.floats(n * ld), x = rng.floats(k), before = rng.floats(n)
            let accumulate = rng.bool()
            var expected = [Float](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(w[i * ld + p]) * Double(x[p]) }
                expected[i] = Float(s) + (accumulate ? before[i] : 0)
            }
            var y = before
            edge_gemv_rows(w, ld, n, k, x, &y, accumulate ? 1 : 0)
            assertClose(y, expected, tolerance: 1e-5, "gemv N\(n) K\(k) ld \(ld) acc \(accumulate)")
        }
    }

    /// The standalone epilogue (edge_epilogue_apply: Winograd's rows, unfused
    /// activations) at every vector width this CPU runs, against the reference: every
    /// kind, lengths around the widths (the zero-padded tail), inputs spanning exp's
    /// clamped range, with and without bias and residual.
    func testEpilogueVectorAtEveryWidth() {
        var rng = SeededRNG(seed: 0x6E46)
        var widths = 0
        for width in [4, 8, 16] {
            for _ in 0..<150 {
                let n = rng.pick([1, 3, 4, 7, 8, 15, 16, 17, 33, rng.int(1...200)])
                let (kind, alpha, beta) = PackedGemmTests.randomActivation(&rng)
                let scale: Float = rng.pick([1, 8, 120])
                let x = rng.floats(n).map { $0 * scale }, residual = rng.floats(n)
                let bias: Float = rng.bool() ? rng.floats(1)[0] : 0
                let useResidual = rng.bool()
                let expected = (0..<n).map {
                    referenceActivation(kind, alpha: alpha, beta: beta, value: x[$0] + bias + (useResidual ? residual[$0] : 0))
                }
                var y = x
                var act = edge_activation(kind: Int(kind.rawValue), alpha: alpha, beta: beta)
                let ran = residual.withUnsafeBufferPointer { rp in
                    edge_epilogue_apply_width(width, &y, n, bias, useResidual ? rp.baseAddress : nil, &act)
                }
                guard ran == 1 else { break }
                widths += 1
                assertClose(y, expected, tolerance: 1e-5, "width \(width) n \(n) \(kind)(\(alpha), \(beta)) x\(scale)")
            }
        }
        XCTAssertGreaterThan(widths, 0, "no vector width ran")
    }
}
