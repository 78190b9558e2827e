import CEdgeSupport
import EdgeReference
import EdgeTestSupport
import XCTest

/// The pthread pool of edge_threads.c: every index runs exactly once per job, on any
/// thread count, over many back-to-back jobs (the spin-then-sleep hand-off), also when a
/// task starts a job of its own (nested: run inline), and a parallel GEMM (one product or
/// a batch, split into more parts than threads) equals the single-threaded one bit for bit.
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

    /// Jobs of 2-9 tasks back to back, with pauses between some of them longer than the
    /// workers' spin (so they fall asleep and wake while the caller has already taken
    /// every index, or while the next job is published): on 2 and 3 threads every index
    /// of every job runs exactly once, and no task of an old job runs after its job
    /// returned (a late worker takes nothing; the caller waits only for tasks in flight).
    func testLateWorkersTakeNothingFromFinishedJobs() {
        struct Job {
            var counts: UnsafeMutablePointer<Int>
            var stale: UnsafeMutablePointer<Int>
            var open: Bool
        }
        var rng = SeededRNG(seed: 0x7004)
        for threads in [2, 3] {
            guard let pool = edge_pool_create(Int32(threads), 16) else { return XCTFail("no pool") }
            defer { edge_pool_destroy(pool) }
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 16)
            let stale = UnsafeMutablePointer<Int>.allocate(capacity: 1)
            defer { counts.deallocate(); stale.deallocate() }
            stale.pointee = 0
            var job = Job(counts: counts, stale: stale, open: true)
            for n in 0..<3000 {
                let count = rng.int(2...9)
                counts.initialize(repeating: 0, count: 16)
                job.open = true
                withUnsafeMutablePointer(to: &job) { j in
                    edge_pool_run(pool, { context, index, _ in
                        let j = context!.assumingMemoryBound(to: Job.self)
                        // A few microseconds of work, so that workers get tasks too.
                        var spin = 0
                        for k in 0..<(2000 + index * 300) { spin &+= k &* k }
                        if !j.pointee.open { j.pointee.stale.pointee += 1 }
                        j.pointee.counts[index] += 1 + (spin == 1 ? 1 : 0)
                    }, j, count)
                    j.pointee.open = false
                }
                for i in 0..<count where counts[i] != 1 {
                    XCTFail("\(threads) threads, job \(n) of \(count): index \(i) ran \(counts[i]) times")
                    return
                }
                if n % 50 == 0 { usleep(UInt32(rng.int(40...150))) }
            }
            XCTAssertEqual(stale.pointee, 0, "\(threads) threads: tasks ran after their job returned")
        }
    }

    /// C = act(L * R + bias) by edge_gemm on the calling thread and by edge_gemm_parallel on `pool`.
    static func gemmOnOneAndMany(_ kernel: UnsafePointer<edge_gemm_kernel>, _ pool: OpaquePointer, m: Int, n: Int,
                                 k: Int, l: [Float], r: [Float], bias: [Float], relu: Bool) -> ([Float], [Float]) {
        var packed = [Float](repeating: 0, count: Int(edge_gemm_packed_floats(kernel, m, k)))
        edge_gemm_pack_left(kernel, l, k, 1, m, k, &packed)
        var scratch = [Float](repeating: 0, count: Int(edge_gemm_scratch_floats(kernel, n, k)))
        var one = [Float](repeating: 0, count: m * n), many = one
        bias.withUnsafeBufferPointer { bp in
            var ep = edge_gemm_epilogue(bias: bp.baseAddress, residual: nil,
                                        act: edge_activation(kind: relu ? 1 : 0, alpha: 0, beta: 0), accumulate: 0)
            edge_gemm(kernel, m, n, k, packed, r, n, 1, &one, n, 1, &ep, &scratch)
            edge_pool_set_current(pool)
            edge_gemm_parallel(kernel, m, n, k, packed, r, n, 1, &many, n, 1, &ep, &scratch)
            edge_pool_set_current(nil)
        }
        return (one, many)
    }

    func testParallelGemmEqualsOneThread() {
        guard let kernel = edge_gemm_best(), let pool = edge_pool_create(3, edge_gemm_max_scratch_floats()) else {
            return XCTFail("no kernel or pool")
        }
        defer { edge_pool_destroy(pool) }
        var rng = SeededRNG(seed: 0x7001)
        for _ in 0..<30 {
            let m = rng.pick([1, 5, 40, 130]), n = rng.pick([1, 17, 200, 900]), k = rng.pick([1, 30, 300])
            let (one, many) = ThreadPoolTests.gemmOnOneAndMany(kernel, pool, m: m, n: n, k: k, l: rng.floats(m * k),
                                                               r: rng.floats(k * n), bias: rng.floats(m), relu: true)
            XCTAssertEqual(one, many, "M\(m) N\(n) K\(k)")
        }
    }

    /// Few columns (at most EDGE_MIN_PANELS_PER_PART column panels per thread: N = 49 is
    /// ResNet-18's layer4) split over row ranges, on 2 and 3 threads: against the
    /// reference (random M around MR multiples, K across K blocks, N around NR with edge
    /// panels), and bit-equal to one thread (each element's sum is the same tile's).
    func testFewColumnsSplitOverRows() {
        guard let kernel = edge_gemm_best() else { return XCTFail("no kernel") }
        let nr = kernel.pointee.nr
        for threads in [2, 3] {
            guard let pool = edge_pool_create(Int32(threads), edge_gemm_max_scratch_floats()) else {
                return XCTFail("no pool")
            }
            defer { edge_pool_destroy(pool) }
            var rng = SeededRNG(seed: 0x7002 &+ UInt64(threads))
            for _ in 0..<24 {
                let m = rng.pick([97, 130, 301, 512]), k = rng.pick([9, 257, 600])
                let n = rng.pick([1, nr - 1, nr + 1, 49, 2 * nr + 1, 4 * nr - 1, rng.int(1...(4 * nr))])
                let l = rng.floats(m * k), r = rng.floats(k * n), bias = rng.floats(m)
                let (one, many) = ThreadPoolTests.gemmOnOneAndMany(kernel, pool, m: m, n: n, k: k, l: l, r: r,
                                                                   bias: bias, relu: false)
                var expected = GemmReference.gemm(a: l, aShape: [m, k], b: r, bShape: [k, n], c: nil, cShape: [],
                                                  alpha: 1, beta: 0, transA: false, transB: false).values
                for i in 0..<m { for j in 0..<n { expected[i * n + j] += bias[i] } }
                // PackedGemmTests' bound for a K-long float sum against the Double reference.
                assertClose(many, expected, tolerance: 1e-5 * Swift.max(1, Float(k).squareRoot() / 8),
                            "\(threads) threads M\(m) N\(n) K\(k)")
                XCTAssertEqual(one, many, "\(threads) threads M\(m) N\(n) K\(k)")
            }
        }
    }

    func testNestedJobRunsInlineAndEveryIndexOnce() {
        struct Nest {
            var pool: OpaquePointer?
            var counts: UnsafeMutablePointer<Int>
            var inner: Int
            var outer: Int
        }
        for threads in [2, 3] {
            guard let pool = edge_pool_create(Int32(threads), 16) else { return XCTFail("no pool") }
            defer { edge_pool_destroy(pool) }
            for (outer, inner) in [(1, 5), (7, 3), (40, 9), (3, 0)] {
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: outer * inner + 1)
                defer { counts.deallocate() }
                counts.initialize(repeating: 0, count: outer * inner + 1)
                var nest = Nest(pool: pool, counts: counts, inner: inner, outer: outer)
                withUnsafeMutablePointer(to: &nest) { n in
                    edge_pool_run(pool, { context, o, _ in
                        let n = context!.assumingMemoryBound(to: Nest.self)
                        var job = (n.pointee.counts + o * n.pointee.inner, 0)
                        withUnsafeMutablePointer(to: &job) { j in
                            edge_pool_run(n.pointee.pool, { context, i, thread in
                                let j = context!.assumingMemoryBound(to: (UnsafeMutablePointer<Int>, Int).self)
                                // Inline: always the calling thread's own index 0.
                                if thread != 0 { j.pointee.0[i] += 1000 }
                                j.pointee.0[i] += 1
                            }, j, n.pointee.inner)
                        }
                    }, n, outer)
                }
                // An outer job of one task runs inline without taking the pool, so its nested
                // job may go to the workers (thread != 0): there only "every index once" holds.
                for i in 0..<(outer * inner) where (outer == 1 ? counts[i] % 1000 : counts[i]) != 1 {
                    XCTFail("\(threads) threads, \(outer)x\(inner): slot \(i) is \(counts[i])")
                    break
                }
            }
        }
    }

    /// A batch of products (Winograd's 16 per chunk) in one parallel region equals each
    /// product alone, for batches smaller and larger than the thread count; an empty batch
    /// writes nothing.
    func testBatchGemmEqualsEachProductAlone() {
        guard let kernel = edge_gemm_best() else { return XCTFail("no kernel") }
        var rng = SeededRNG(seed: 0x7002)
        for threads in [1, 2, 3] {
            guard let pool = edge_pool_create(Int32(threads), edge_gemm_max_scratch_floats()) else {
                return XCTFail("no pool")
            }
            defer { edge_pool_destroy(pool) }
            for _ in 0..<12 {
                let count = rng.pick([0, 1, 2, 5, 16])
                let m = rng.pick([3, 40, 100]), n = rng.pick([9, 200, 700]), k = rng.pick([8, 64, 300])
                let packedFloats = Int(edge_gemm_packed_floats(kernel, m, k))
                let l = rng.floats(count * m * k + 1), r = rng.floats(count * k * n + 1)
                var packed = [Float](repeating: 0, count: count * packedFloats + 1)
                for i in 0..<count {
                    l.withUnsafeBufferPointer { lp in
                        packed.withUnsafeMutableBufferPointer { pp in
                            edge_gemm_pack_left(kernel, lp.baseAddress! + i * m * k, k, 1, m, k,
                                                pp.baseAddress! + i * packedFloats)
                        }
                    }
                }
                var scratch = [Float](repeating: 0, count: Int(edge_gemm_scratch_floats(kernel, n, k)))
                var alone = [Float](repeating: -7, count: count * m * n + 1), batch = alone
                var ep = edge_gemm_epilogue(bias: nil, residual: nil, act: edge_activation(), accumulate: 0)
                for i in 0..<count {
                    packed.withUnsafeBufferPointer { pp in
                        r.withUnsafeBufferPointer { rp in
                            alone.withUnsafeMutableBufferPointer { cp in
                                edge_gemm(kernel, m, n, k, pp.baseAddress! + i * packedFloats, rp.baseAddress! + i * k * n,
                                          n, 1, cp.baseAddress! + i * m * n, n, 1, &ep, &scratch)
                            }
                        }
                    }
                }
                edge_pool_set_current(pool)
                edge_gemm_batch_parallel(kernel, count, m, n, k, packed, packedFloats, r, k * n, n, 1,
                                         &batch, m * n, n, 1, &ep, &scratch)
                edge_pool_set_current(nil)
                XCTAssertEqual(alone, batch, "\(threads) threads, \(count) x M\(m) N\(n) K\(k)")
            }
        }
    }

    /// The fully-connected gemv split over row ranges equals the one-thread result bit for
    /// bit, with row counts that leave a remainder after the 4-row groups.
    func testParallelGemvEqualsOneThread() {
        var rng = SeededRNG(seed: 0x7003)
        for threads in [2, 3] {
            guard let pool = edge_pool_create(Int32(threads), 16) else { return XCTFail("no pool") }
            defer { edge_pool_destroy(pool) }
            for (n, k) in [(1000, 512), (1003, 300), (37, 9000), (9, 40000), (5, 100)] {
                let w = rng.floats(n * k), x = rng.floats(k), start = rng.floats(n)
                for accumulate: Int32 in [0, 1] {
                    var one = start, many = start
                    edge_gemv_rows(w, k, n, k, x, &one, accumulate)
                    edge_pool_set_current(pool)
                    edge_gemv_rows(w, k, n, k, x, &many, accumulate)
                    edge_pool_set_current(nil)
                    XCTAssertEqual(one, many, "\(threads) threads, N\(n) K\(k), accumulate \(accumulate)")
                }
            }
        }
    }
}
