import CEdgeSupport
import EdgeFormat
import EdgeRuntime

/// `edge-run`: runs a `.edgm` model (or a slice of it) on the device, as `edgec run` does
/// on the host: mmaps the model (weights used in place), verifies it, runs it and writes
/// every output as `<tensor name>.npy`. Embedded Swift; argc/argv come from C's `main`.
@_cdecl("main")
func edgeRunMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    do throws(EdgeError) {
        let options = try Options(argc: Int(argc), argv: argv)
        if options.help {
            Line(Options.usage).out()
            return 0
        }
        try EdgeRun.run(options)
        return 0
    } catch {
        if EdgeError.messagesStripped {
            // Built with STRIP_MESSAGES=1: the kind's number (Kind.rawValue) and exit code only.
            Line("edge-run: error: code ").add(Int(error.kind.rawValue)).add(", exit ").add(Int(error.kind.exitCode))
                .add(" (messages compiled out)").err()
        } else {
            Line("edge-run: error: ").add(error.message).err()
        }
        return error.kind.exitCode
    }
}

enum EdgeRun {
    static func run(_ options: Options) throws(EdgeError) {
        let interpreter = try Interpreter(path: options.model, threads: options.threads)
        let m = interpreter.model
        let execution = try Execution(m, slice: options.slice)
        let values = try execution.readInputs(options.inputs, m)

        var times: [UInt64] = []
        times.reserveCapacity(options.repeatCount)
        for k in 0..<options.repeatCount {
            // Inputs are re-written every time: a model may reuse their arena bytes.
            try execution.write(values, into: interpreter)
            let t0 = edge_now_ns()
            interpreter.run(execution.range)
            let dt = edge_now_ns() &- t0
            times.append(dt)
            if options.repeatCount > 1 {
                Line("run ").add(k + 1).add("/").add(options.repeatCount).add(": ").add(ms: dt).add(" ms").out()
            }
        }

        guard Paths.makeDirectories(options.outputDir) else {
            throw EdgeError(.io, "cannot create output directory '\(options.outputDir)'")
        }
        for id in execution.outputs {
            let t = m.tensors[id]
            let path = Paths.outputFile(options.outputDir, tensor: t.name)
            try NpyArray.write(path, shape: t.shape, data: interpreter.read(tensor: id))
            Line("wrote ").add(path).add(" ").add(shape: t.shape).out()
        }

        // "ran N layers in T ms (arena B bytes, 1.50 MiB)" or, repeated, min and median.
        let layers = execution.range.count
        let line = Line("ran ").add(layers)
        if times.count == 1 {
            line.add(" layers in ").add(ms: times[0])
        } else {
            Latency.sortAscending(&times)
            let n = times.count
            let median = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2
            line.add(" layers ").add(n).add(" times: min ").add(ms: times[0]).add(" ms, median ").add(ms: median)
        }
        let arena = interpreter.arena.byteCount
        line.add(" ms (arena ").add(arena).add(" bytes, ").add(humanBytes: arena).add(")").out()
    }
}
