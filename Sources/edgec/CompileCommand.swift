import ArgumentParser
import EdgeCompiler
import EdgeFormat
import Foundation

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile an ONNX model into a .edgm file.",
        discussion: """
            Folds constants, BatchNorm and activations, removes no-op nodes, plans the
            activation memory statically and writes weights pre-packed for the kernels.
            Inputs with symbolic dimensions need --shape (a symbolic leading batch
            dimension defaults to 1).
            """)

    @Argument(help: "The ONNX model to compile.")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the .edgm file (default: the input with .edgm).")
    var output: String?

    @Option(name: .customLong("shape"), help: ArgumentHelp("Fix an input's shape, e.g. --shape input=1x3x224x224 (repeatable).", valueName: "NAME=DIMS"))
    var shapes: [String] = []

    @Option(name: .customLong("tag"), help: "Variant tag stored in the file's metadata.")
    var tag: String = ""

    @Flag(name: .customLong("compress"), help: "zlib-compress the weights (smaller for transport; loading inflates instead of mapping).")
    var compress = false

    @Flag(name: .customLong("no-inplace"), help: "Do not let elementwise ops overwrite their input in the arena.")
    var noInPlace = false

    @Flag(name: .customLong("json"), help: "Print the compile summary as JSON.")
    var json = false

    @Flag(name: .customLong("no-prune"), help: "Keep channels whose filters are all zero (no structured pruning).")
    var noPrune = false

    @Option(name: .customLong("round-channels"), help: "Keep pruned channel counts at multiples of N (SIMD-friendly).")
    var roundChannels: Int = 1

    @Option(name: .customLong("report"), help: ArgumentHelp("Write the pruning report (per layer channels, params and FLOPs before and after; why all-zero filters stayed) as JSON.", valueName: "FILE.json"))
    var report: String?

    func run() throws {
        try failing {
            var options = CompileOptions()
            for s in shapes {
                let (name, dims) = try splitAssignment(s, "--shape")
                options.inputShapes[name] = try parseDims(dims)
            }
            options.variantTag = tag
            options.compressWeights = compress
            options.inPlace = !noInPlace
            options.prune = !noPrune
            try checkRange(roundChannels, "--round-channels", 1...Int.max)
            options.roundChannels = roundChannels
            let result = try Compiler.compile(onnxPath: input, options: options)
            let out = output ?? (input.hasSuffix(".onnx") ? String(input.dropLast(5)) : input) + ".edgm"
            try FileIO.write(out, result.bytes)
            for n in result.notes { note(n) }
            if let path = report {
                guard let r = result.pruning else { throw EdgeError(.invalidArgument, "--report needs pruning (drop --no-prune)") }
                try FileIO.write(path, [UInt8](try r.jsonData()))
            }
            if json {
                print(jsonString([
                    "output": out, "file_bytes": result.bytes.count, "ops": result.opCount, "params": result.params,
                    "arena_bytes": result.arenaBytes, "arena_lower_bound": result.arenaLowerBound,
                    "inplace_merges": result.inPlaceMerges, "compile_ms": result.seconds * 1000,
                    "pruned_params": (result.pruning.map { $0.paramsBefore - $0.paramsAfter }) ?? 0,
                ] as [String: Any]))
            } else {
                print("compiled \(input) -> \(out): \(result.opCount) ops, \(result.params) params, file \(humanBytes(result.bytes.count)), arena \(humanBytes(result.arenaBytes)) (lower bound \(humanBytes(result.arenaLowerBound))) in \(String(format: "%.0f", result.seconds * 1000)) ms")
            }
        }
    }
}
