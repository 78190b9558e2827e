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
            inputs (or --input files). Threads follow OPENBLAS_NUM_THREADS unless --threads
            is given. --json prints median_ms, p90_ms, mean_ms, min_ms, iterations and the
            per-layer table.
            """)

    @Argument(help: "The .edgm model.")
    var model: String

    @Option(help: "Timed iterations.")
    var iterations: Int = 20

    @Option(help: "Untimed iterations first.")
    var warmup: Int = 3

    @Option(help: "BLAS threads (default: OPENBLAS_NUM_THREADS or OpenBLAS's choice).")
    var threads: Int?

    @Option(name: .customLong("input"), help: ArgumentHelp("Use a .npy input instead of random data (repeatable).", valueName: "NAME=FILE.npy"))
    var inputs: [String] = []

    @Option(name: .customLong("slice"), help: ArgumentHelp("Time only layers FROM..TO.", valueName: "FROM:TO"))
    var slice: String?

    @Flag(name: .customLong("blas-peak"), help: "Also measure cblas_sgemm at 512x512x512 (the ceiling for conv layers) and show each layer's share of it.")
    var blasPeak = false

    @Flag(name: .customLong("json"), help: "Print JSON instead of a table.")
    var json = false

    /// Best of 10 single sgemm calls at 512^3 on the BLAS threads in force.
    static func measureSgemmPeak() -> Double {
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
            if let t = threads { try checkRange(t, "--threads", 1...1024) }
            if let t = threads { openblas_set_num_threads(Int32(t)) }
            let interpreter = try Interpreter(path: model)
            let execution = try Execution(interpreter.model, slice: slice)
            if inputs.isEmpty { try execution.fillRandom(interpreter) } else { try execution.load(inputs, into: interpreter) }
            for _ in 0..<warmup { interpreter.run(execution.range) }
            let count = interpreter.layers.count
            let perLayer = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
            perLayer.initialize(repeating: 0, count: count)
            defer { perLayer.deallocate() }
            var totals: [Double] = []
            for i in 0..<iterations {
                let t0 = edge_now_ns()
                interpreter.runTimed(execution.range, nanos: perLayer)
                totals.append(Double(edge_now_ns() - t0) / 1e6)
                if !json && iterations >= 20 && (i + 1) % max(1, iterations / 4) == 0 {
                    FileHandle.standardError.write("edgec: bench \(i + 1)/\(iterations)\r".data(using: .utf8)!)
                }
            }
            if !json && iterations >= 20 { FileHandle.standardError.write("\n".data(using: .utf8)!) }
            let sorted = totals.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            let p90 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)]
            let mean = totals.reduce(0, +) / Double(totals.count)
            let summary = ModelSummary(interpreter, fileBytes: 0)
            let peak = blasPeak ? Self.measureSgemmPeak() : nil
            let layerSum = execution.range.reduce(0.0) { $0 + Double(perLayer[$1]) }
            var rows: [[String: Any]] = []
            for i in execution.range {
                let ms = Double(perLayer[i]) / 1e6 / Double(iterations)
                let l = summary.layers[i]
                rows.append(["index": i, "name": l.name, "op": l.op + ModelSummary.fusedSuffix(interpreter.model.ops[i]),
                             "ms": ms, "share": layerSum > 0 ? Double(perLayer[i]) / layerSum : 0,
                             "gflops": ms > 0 ? Double(l.flops) / (ms * 1e6) : 0, "flops": l.flops])
            }
            if json {
                print(jsonString(["model": model, "median_ms": median, "p90_ms": p90, "mean_ms": mean, "min_ms": sorted[0],
                                  "iterations": iterations, "warmup": warmup, "layers": rows,
                                  "arena_bytes": interpreter.arena.byteCount, "flops": summary.flops,
                                  "blas_core": String(cString: openblas_get_corename()),
                                  "blas_threads": Int(openblas_get_num_threads()),
                                  "blas_peak_gflops": peak ?? NSNull()] as [String: Any]))
                return
            }
            print(String(format: "%@: median %.3f ms, p90 %.3f ms, mean %.3f ms, min %.3f ms over %d iterations (%.2f GFLOP/s at the median; OpenBLAS %@, %d thread(s))",
                         model, median, p90, mean, sorted[0], iterations, Double(summary.flops) / (median * 1e6),
                         String(cString: openblas_get_corename()), Int(openblas_get_num_threads())))
            if let peak { print(String(format: "cblas_sgemm 512^3 peak: %.1f GFLOP/s; the model runs at %.0f%% of it", peak, 100 * Double(summary.flops) / (median * 1e6) / peak)) }
            print("")
            print(pad("#", 4) + pad("op", 24) + lpad("ms", 9) + lpad("share", 8) + lpad("GFLOP/s", 9) + "  name")
            for r in rows {
                print(pad("\(r["index"]!)", 4) + pad(r["op"] as! String, 24) + lpad(String(format: "%.3f", r["ms"] as! Double), 9)
                      + lpad(String(format: "%.1f%%", 100 * (r["share"] as! Double)), 8)
                      + lpad(String(format: "%.1f", r["gflops"] as! Double), 9) + "  " + (r["name"] as! String))
            }
        }
    }
}
