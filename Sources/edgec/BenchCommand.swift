import ArgumentParser
import CEdgeSupport
import EdgeCompiler
import EdgeFormat
import EdgeReports
import EdgeRuntime
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a .edgm model: median and p90 latency, and a per-layer profile.",
        discussion: """
            Runs --warmup untimed iterations, then --iterations timed ones on seeded random
            inputs (or --input files), on --threads threads (the GEMMs split over them).
            The per-layer table names the kernel load chose for each layer (Winograd, 1x1,
            im2col, depthwise, gemv; and the GEMM's register-tile kernel for this CPU).
            --json prints median_ms, p90_ms, mean_ms, min_ms, iterations, cpu_median_ms (the
            median of each iteration's process CPU time, all threads) and the per-layer table.
            """)

    @Argument(help: "The .edgm model.")
    var model: String

    @Option(help: "Timed iterations.")
    var iterations: Int = 20

    @Option(help: "Untimed iterations first.")
    var warmup: Int = 3

    @Option(help: "Threads for the layers' GEMMs (1 to 64).")
    var threads: Int = 1

    @Option(name: .customLong("input"), help: ArgumentHelp("Use a .npy input instead of random data (repeatable).", valueName: "NAME=FILE.npy"))
    var inputs: [String] = []

    @Option(name: .customLong("slice"), help: ArgumentHelp("Time only layers FROM..TO.", valueName: "FROM:TO"))
    var slice: String?

    @Flag(name: .customLong("blas-peak"), help: "Also measure Edge's GEMM and cblas_sgemm at 512x512x512 on one thread (the ceiling for conv layers).")
    var blasPeak = false

    @Flag(name: .customLong("cpu-clock"), help: "Time the per-layer table in process CPU time instead of wall time (on a shared machine, what each layer costs whatever the load; with 1 thread the two agree on an idle one).")
    var cpuClock = false

    @Flag(name: .customLong("json"), help: "Print JSON instead of a table.")
    var json = false

    /// Best of 10 single Edge GEMM calls at 512^3, one thread (weights packed first).
    static func measureEdgeGemmPeak() -> Double {
        let n = 512
        let kernel = GemmKernel.best
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var packed = [Float](repeating: 0, count: Int(edge_gemm_packed_floats(kernel, n, n)))
        var scratch = [Float](repeating: 0, count: Int(edge_gemm_scratch_floats(kernel, n, n)))
        edge_gemm_pack_left(kernel, a, n, 1, n, n, &packed)
        var ep = edge_gemm_epilogue()
        var best = Double.infinity
        for _ in 0..<11 {
            let t0 = edge_now_ns()
            edge_gemm(kernel, n, n, n, packed, b, n, 1, &c, n, 1, &ep, &scratch)
            best = min(best, Double(edge_now_ns() - t0))
        }
        return 2 * Double(n * n * n) / best
    }

    /// Best of 10 single sgemm calls at 512^3, one OpenBLAS thread.
    static func measureSgemmPeak() -> Double {
        openblas_set_num_threads(1)
        let n = 512
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<11 {
            let t0 = edge_now_ns()
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            best = min(best, Double(edge_now_ns() - t0))
        }
        return 2 * Double(n * n * n) / best
    }

    func run() throws {
        try failing {
            try checkRange(iterations, "--iterations", 1...maxIterations)
            try checkRange(warmup, "--warmup", 0...maxIterations)
            try checkRange(threads, "--threads", 1...Interpreter.maxThreads)
            let interpreter = try Interpreter(path: model, threads: threads)
            let execution = try Execution(interpreter.model, slice: slice)
            if inputs.isEmpty { try execution.fillRandom(interpreter) } else { try execution.load(inputs, into: interpreter) }
            for _ in 0..<warmup { interpreter.run(execution.range) }
            let count = interpreter.layers.count
            let perLayer = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
            perLayer.initialize(repeating: 0, count: count)
            defer { perLayer.deallocate() }
            var totals: [Double] = [], cpuTotals: [Double] = []
            for i in 0..<iterations {
                let t0 = edge_now_ns(), c0 = edge_cpu_ns()
                interpreter.runTimed(execution.range, nanos: perLayer, cpuClock: cpuClock)
                totals.append(Double(edge_now_ns() - t0) / 1e6)
                cpuTotals.append(Double(edge_cpu_ns() - c0) / 1e6)
                if !json && iterations >= 20 && (i + 1) % max(1, iterations / 4) == 0 {
                    FileHandle.standardError.write("edgec: bench \(i + 1)/\(iterations)\r".data(using: .utf8)!)
                }
            }
            if !json && iterations >= 20 { FileHandle.standardError.write("\n".data(using: .utf8)!) }
            func medianOf(_ values: [Double]) -> Double {
                let s = values.sorted()
                return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            }
            let sorted = totals.sorted()
            let median = medianOf(totals), cpuMedian = medianOf(cpuTotals)
            let p90 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)]
            let mean = totals.reduce(0, +) / Double(totals.count)
            let summary = ModelSummary(interpreter, fileBytes: 0)
            let peak = blasPeak ? Self.measureSgemmPeak() : nil
            let edgePeak = blasPeak ? Self.measureEdgeGemmPeak() : nil
            let layerSum = execution.range.reduce(0.0) { $0 + Double(perLayer[$1]) }
            var rows: [[String: Any]] = []
            for i in execution.range {
                let ms = Double(perLayer[i]) / 1e6 / Double(iterations)
                let l = summary.layers[i]
                rows.append(["index": i, "name": l.name, "op": l.op + ModelSummary.fusedSuffix(interpreter.model.ops[i]),
                             "kernel": interpreter.layers[i].kernelChoice,
                             "ms": ms, "share": layerSum > 0 ? Double(perLayer[i]) / layerSum : 0,
                             "gflops": ms > 0 ? Double(l.flops) / (ms * 1e6) : 0, "flops": l.flops])
            }
            if json {
                print(jsonString(["model": model, "median_ms": median, "cpu_median_ms": cpuMedian, "p90_ms": p90, "mean_ms": mean, "min_ms": sorted[0],
                                  "iterations": iterations, "warmup": warmup, "layers": rows,
                                  "arena_bytes": interpreter.arena.byteCount, "flops": summary.flops,
                                  "threads": threads, "gemm_kernel": GemmKernel.name,
                                  "blas_core": String(cString: openblas_get_corename()),
                                  "blas_peak_gflops": peak ?? NSNull(),
                                  "gemm_peak_gflops": edgePeak ?? NSNull()] as [String: Any]))
                return
            }
            print(String(format: "%@: median %.3f ms, p90 %.3f ms, mean %.3f ms, min %.3f ms over %d iterations (%.2f GFLOP/s at the median; GEMM kernel %@, %d thread(s)); CPU time median %.3f ms",
                         model, median, p90, mean, sorted[0], iterations, Double(summary.flops) / (median * 1e6),
                         GemmKernel.name, threads, cpuMedian))
            if cpuClock { print("per-layer times: process CPU time") }
            if let peak, let edgePeak {
                print(String(format: "1-thread 512^3 peak: Edge GEMM %.1f GFLOP/s, cblas_sgemm (OpenBLAS %@) %.1f GFLOP/s; the model runs at %.0f%% of Edge's",
                             edgePeak, String(cString: openblas_get_corename()), peak,
                             100 * Double(summary.flops) / (median * 1e6) / edgePeak))
            }
            print("")
            print(pad("#", 4) + pad("op", 24) + pad("kernel", 22) + lpad("ms", 9) + lpad("share", 8) + lpad("GFLOP/s", 9) + "  name")
            for r in rows {
                print(pad("\(r["index"]!)", 4) + pad(r["op"] as! String, 24) + pad(r["kernel"] as! String, 22)
                      + lpad(String(format: "%.3f", r["ms"] as! Double), 9)
                      + lpad(String(format: "%.1f%%", 100 * (r["share"] as! Double)), 8)
                      + lpad(String(format: "%.1f", r["gflops"] as! Double), 9) + "  " + (r["name"] as! String))
            }
        }
    }
}
