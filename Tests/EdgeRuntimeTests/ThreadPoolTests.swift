import CEdgeSupport
import EdgeTestSupport
import XCTest

/// The pthread pool of edge_threads.c: every index runs exactly once per job, on any
/// thread count, over many back-to-back jobs (the spin-then-sleep hand-off), and a
/// parallel GEMM equals the single-threaded one bit for bit.
final class ThreadPoolTests: XCTestCase {
    func testEveryIndexRunsOnceOnEveryThreadCount() {
        for threads in [1, 2, 3, 5] {
            guard let pool = edge_pool_create(Int32(threads), 16) else { return XCTFail("no pool") }
            defer { edge_pool_destroy(pool) }
            XCTAssertEqual(edge_pool_threads(pool), Int32(threads))
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 1000)
            defer { counts.deallocate() }
            for job in 0..<200 {
                let n = [0, 1, 2, 7, 64, 1000][job % 6]
                counts.initialize(repeating: 0, count: 1000)
                edge_pool_run(pool, { context, index, thread in
                    let c = context!.assumingMemoryBound(to: Int.self)
                    // Distinct indices: no two tasks touch the same slot.
                    _ = thread
                    c[index] += 1
                }, counts, n)
                for i in 0..<n where counts[i] != 1 {
                    XCTFail("\(threads) threads, job \(job): index \(i) ran \(counts[i]) times")
                    break
                }
            }
        }
    }

    func testParallelGemmEqualsOneThread() {
        guard let kernel = edge_gemm_best(), let pool = edge_pool_create(3, edge_gemm_max_scratch_floats()) else {
            return XCTFail("no kernel or pool")
        }
        defer { edge_pool_destroy(pool) }
        var rng = SeededRNG(seed: 0x7001)
        for _ in 0..<30 {
            let m = rng.pick([1, 5, 40, 130]), n = rng.pick([1, 17, 200, 900]), k = rng.pick([1, 30, 300])
            let l = rng.floats(m * k), r = rng.floats(k * n), bias = rng.floats(m)
            var packed = [Float](repeating: 0, count: Int(edge_gemm_packed_floats(kernel, m, k)))
            edge_gemm_pack_left(kernel, l, k, 1, m, k, &packed)
            var scratch = [Float](repeating: 0, count: Int(edge_gemm_scratch_floats(kernel, n, k)))
            var one = [Float](repeating: 0, count: m * n), many = one
            bias.withUnsafeBufferPointer { bp in
                var ep = edge_gemm_epilogue(bias: bp.baseAddress, residual: nil,
                                            act: edge_activation(kind: 1, alpha: 0, beta: 0), accumulate: 0)
                edge_gemm(kernel, m, n, k, packed, r, n, 1, &one, n, 1, &ep, &scratch)
                edge_pool_set_current(pool)
                edge_gemm_parallel(kernel, m, n, k, packed, r, n, 1, &many, n, 1, &ep, &scratch)
                edge_pool_set_current(nil)
            }
            XCTAssertEqual(one, many, "M\(m) N\(n) K\(k)")
        }
    }
}
