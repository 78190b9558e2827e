import CEdgeSupport
import EdgeFormat
import EdgeRuntime

/// `edge-run`: runs a `.edgm` model (or a slice of it) on the device, as `edgec run` does
/// on the host: mmaps the model (weights used in place), verifies it, runs it and writes
/// every output as `<tensor name>.npy`. Embedded Swift; argc/argv come from C's `main`.
@_cdecl("main")
func edgeRunMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var arguments: [String] = []
    if argc > 1 {
        for i in 1..<Int(argc) {
            if let p = argv[i] { arguments.append(String(cString: p)) }
        }
    }
    do throws(EdgeError) {
        let options = try Options(arguments: arguments)
        if options.help {
            Console.out(Options.usage)
            return 0
        }
        try EdgeRun.run(options)
        return 0
    } catch {
        if EdgeError.messagesStripped {
            // Built with STRIP_MESSAGES=1: the kind's number (Kind.rawValue) and exit code only.
            Console.err("edge-run: error: code \(error.kind.rawValue), exit \(error.kind.exitCode) (messages compiled out)")
        } else {
            Console.err("edge-run: error: " + error.message)
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
                Console.out("run \(k + 1)/\(options.repeatCount): \(Format.ms(dt)) ms")
            }
        }

        guard Paths.makeDirectories(options.outputDir) else {
            throw EdgeError(.io, "cannot create output directory '\(options.outputDir)'")
        }
        for id in execution.outputs {
            let t = m.tensors[id]
            let path = Paths.join(options.outputDir, Utf8Text.safeFileName(t.name) + ".npy")
            try NpyArray(shape: t.shape, data: Array(interpreter.read(tensor: id))).write(path)
            Console.out("wrote \(path) \(ShapeText.of(t.shape))")
        }

        let arena = "arena \(interpreter.arena.byteCount) bytes, \(Format.bytes(interpreter.arena.byteCount))"
        let layers = execution.range.count
        if times.count == 1 {
            Console.out("ran \(layers) layers in \(Format.ms(times[0])) ms (\(arena))")
        } else {
            Latency.sortAscending(&times)
            let n = times.count
            let median = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2
            Console.out("ran \(layers) layers \(n) times: min \(Format.ms(times[0])) ms, median \(Format.ms(median)) ms (\(arena))")
        }
    }
}
