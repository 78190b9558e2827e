import ArgumentParser
import EdgeFormat
import EdgeRuntime
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a .edgm model (or a slice of its layers) on .npy inputs.",
        discussion: """
            Writes one float32 .npy per output into --output-dir, named after the output
            tensor (characters other than letters, digits, '.', '-' and '_' become '_').
            With --slice FROM:TO only layers FROM..TO run (indices from `edgec inspect`);
            the input is then the tensor entering layer FROM and the output the tensor
            leaving layer TO. A cut that more than one tensor crosses is refused.
            With --split DIR (from `edgec split`) instead of a model, runs DIR/head.edgm,
            encodes its output as it would cross the link, decodes it and runs DIR/tail.edgm.
            """)

    @Argument(help: "The .edgm model (omit with --split).")
    var model: String?

    @Option(name: .customLong("split"), help: ArgumentHelp("Run a split directory: head -> wire encoding -> tail.", valueName: "DIR"))
    var splitDir: String?

    @Option(name: .customLong("input"), help: ArgumentHelp("An input tensor from a .npy file (repeatable).", valueName: "NAME=FILE.npy"))
    var inputs: [String] = []

    @Option(name: .customLong("output-dir"), help: "Directory for the output .npy files (created if missing).")
    var outputDir: String = "."

    @Option(name: .customLong("slice"), help: ArgumentHelp("Run only layers FROM..TO (inclusive).", valueName: "FROM:TO"))
    var slice: String?

    @Option(name: .customLong("expect"), help: ArgumentHelp("Compare an output with a reference .npy (repeatable); exit 7 when it differs.", valueName: "NAME=FILE.npy"))
    var expectations: [String] = []

    @Option(help: "Tolerance for --expect: |out - ref| <= tolerance * (1 + |ref|).")
    var tolerance: Float = 1e-4

    @Option(help: "Print the K largest values of each output with their indices (e.g. class scores).")
    var top: Int?

    @Flag(name: .customLong("json"), help: "Print the written files and the run time as JSON.")
    var json = false

    @Option(help: "Threads for the layers' GEMMs (1 to 64).")
    var threads: Int = 1

    func run() throws {
        if let splitDir {
            guard model == nil, slice == nil, expectations.isEmpty, top == nil else {
                try failing { throw EdgeError(.invalidArgument, "--split DIR replaces the model argument and takes only --input, --output-dir and --json") }
                return
            }
            try SplitRun(directory: splitDir, inputs: inputs, outputDir: outputDir, json: json).run()
            return
        }
        try failing {
            guard let model else { throw EdgeError(.invalidArgument, "missing the .edgm model (or --split DIR)") }
            if let k = top { try checkRange(k, "--top", 1...Int.max) }
            guard tolerance.isFinite, tolerance >= 0 else {
                throw EdgeError(.invalidArgument, "--tolerance expects a non-negative number, got \(tolerance)")
            }
            try checkRange(threads, "--threads", 1...Interpreter.maxThreads)
            let interpreter = try Interpreter(path: model, threads: threads)
            let execution = try Execution(interpreter.model, slice: slice)
            try execution.load(inputs, into: interpreter)
            let t0 = DispatchTime.now().uptimeNanoseconds
            interpreter.run(execution.range)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            do {
                try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            } catch {
                throw EdgeError(.io, "cannot create output directory '\(outputDir)'")
            }
            var written: [[String: Any]] = []
            for id in execution.outputs {
                let t = interpreter.model.tensors[id]
                let path = (outputDir as NSString).appendingPathComponent(Utf8Text.safeFileName(t.name) + ".npy")
                try NpyArray(shape: t.shape, data: Array(interpreter.read(tensor: id))).write(path)
                written.append(["name": t.name, "file": path, "shape": t.shape])
            }
            var comparisons: [[String: Any]] = []
            var mismatch = false
            for e in expectations {
                let (name, file) = try splitAssignment(e, "--expect")
                guard let id = execution.outputs.first(where: { interpreter.model.tensors[$0].name == name }) else {
                    throw EdgeError(.invalidArgument, "--expect names '\(name)', which is not an output of this run")
                }
                let reference = try NpyArray.read(file)
                let got = interpreter.read(tensor: id)
                guard reference.data.count == got.count else {
                    throw EdgeError(.shape, "--expect \(name): reference has \(reference.data.count) values, output has \(got.count)")
                }
                var worstAbs: Float = 0, worstRel: Float = 0
                for i in 0..<got.count {
                    let d = abs(got[i] - reference.data[i])
                    worstAbs = max(worstAbs, d.isNaN ? .infinity : d)
                    worstRel = max(worstRel, d.isNaN ? .infinity : d / (1 + abs(reference.data[i])))
                }
                let ok = worstRel <= tolerance
                mismatch = mismatch || !ok
                comparisons.append(["name": name, "max_abs_error": Double(worstAbs), "max_rel_error": Double(worstRel), "ok": ok])
                if !json {
                    print("\(ok ? "match" : "MISMATCH") \(name): max |diff| \(worstAbs), max relative \(worstRel) (tolerance \(tolerance))")
                }
            }
            var tops: [[String: Any]] = []
            if let k = top {
                for id in execution.outputs {
                    let values = interpreter.read(tensor: id)
                    let best = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(k)
                    tops.append(["name": interpreter.model.tensors[id].name, "indices": Array(best), "values": best.map { Double(values[$0]) }])
                    if !json {
                        print("top \(k) of \(interpreter.model.tensors[id].name): " + best.map { String(format: "%d (%.3f)", $0, values[$0]) }.joined(separator: ", "))
                    }
                }
            }
            if json {
                print(jsonString(["outputs": written, "top": tops, "comparisons": comparisons, "run_ms": ms, "layers": [execution.range.lowerBound, execution.range.upperBound - 1]] as [String: Any]))
            } else {
                for w in written { print("wrote \(w["file"]!) \(ShapeText.of(w["shape"] as! [Int]))") }
                print(String(format: "ran %d layers in %.3f ms (arena %@)", execution.range.count, ms, humanBytes(interpreter.arena.byteCount)))
            }
            if mismatch {
                note("outputs differ from the references beyond the tolerance")
                throw ExitCode(7)
            }
        }
    }
}
