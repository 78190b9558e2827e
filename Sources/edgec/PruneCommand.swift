import ArgumentParser
import EdgePruneInit
import EdgeFormat
import Foundation

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove whole filters from an ONNX model: a smaller dense ONNX, ready to train.",
        discussion: """
            --method reconvene (default): structured pruning at initialization.
            The model is re-initialized from --seed and scored with SynFlow
            (data-free: the network with |W| on an all-ones input, computed per
            channel). The conv layers where unstructured SynFlow would remove the
            most weights (the least sensitive ones) lose whole filters first, least
            synaptic flow first, until --keep of the parameters remain; then the
            model gets a fresh seeded initialization for its new shapes.
            SynFlow rather than SNIP: it needs no data or labels, avoids layer
            collapse at high sparsity, and the scores are a pure function of the
            seed. --calibration DIR (.npy input batches) replaces the all-ones
            input by the data's per-channel mean |x|.

            --method l1: for a trained model. Every conv layer loses the same
            fraction of filters, those with the smallest L1 norm; the remaining
            weights are kept for fine-tuning (--reinit draws fresh ones).

            Channels go in the compiler's dependency groups (residual Adds,
            Concat, depthwise convs, flatten into Gemm): exactly what
            `edgec compile` would slice. Only Conv filters are removed; graph
            inputs and outputs keep their shapes. --keep counts Conv/Gemm weights
            and biases as `edgec inspect` does (BatchNorm folded); a note says so
            when one channel per layer is still more than the budget.

              edgec prune model.onnx --keep 0.25 -o pruned.onnx --report r.json
            """)

    @Argument(help: "The ONNX model to prune.")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the pruned ONNX model.")
    var output: String

    @Option(name: .customLong("method"), help: "reconvene (at initialization) or l1 (trained weights).")
    var method: String = "reconvene"

    @Option(name: .customLong("keep"), help: "Fraction of the parameters to keep, in (0, 1].")
    var keep: Double = 0.25

    @Option(name: .customLong("seed"), help: "Seed of the initialization (and so of the scores).")
    var seed: UInt64 = 0

    @Option(name: .customLong("calibration"), help: ArgumentHelp("Directory of .npy input batches (reconvene: input magnitudes).", valueName: "DIR"))
    var calibration: String?

    @Option(name: .customLong("rounds"), help: "SynFlow pruning rounds.")
    var rounds: Int = 20

    @Option(name: .customLong("shape"), help: ArgumentHelp("Fix an input's shape, e.g. --shape input=1x3x224x224 (repeatable).", valueName: "NAME=DIMS"))
    var shapes: [String] = []

    @Flag(name: .customLong("reinit"), help: "--method l1: draw fresh seeded weights after pruning too.")
    var reinit = false

    @Option(name: .customLong("report"), help: ArgumentHelp("Write what was scored and removed as JSON.", valueName: "FILE.json"))
    var report: String?

    @Flag(name: .customLong("json"), help: "Print the summary as JSON.")
    var json = false

    func run() throws {
        try failing {
            var options = PruneOptions()
            guard let m = PruneOptions.Method(rawValue: method) else {
                throw EdgeError(.invalidArgument, "--method must be reconvene or l1, got '\(method)'")
            }
            options.method = m
            options.keep = keep
            options.seed = seed
            options.calibration = calibration
            options.rounds = rounds
            if reinit {
                guard m == .l1 else { throw EdgeError(.invalidArgument, "--reinit applies to --method l1 (reconvene always re-initializes)") }
                options.reinitialize = true
            }
            for s in shapes {
                let (name, dims) = try splitAssignment(s, "--shape")
                options.inputShapes[name] = try parseDims(dims)
            }
            let result = try PruneInit.run(path: input, options: options)
            try FileIO.write(output, result.bytes)
            if let path = report { try FileIO.write(path, [UInt8](try result.report.jsonData())) }
            for n in result.report.notes { note(n) }
            let r = result.report
            if json {
                print(String(decoding: try r.jsonData(), as: UTF8.self))
            } else {
                let ratio = Double(r.paramsBefore) / Double(max(r.paramsAfter, 1))
                print("pruned \(input) -> \(output) (\(r.method), keep \(r.keep), seed \(r.seed)): params \(r.paramsBefore) -> \(r.paramsAfter) (\(String(format: "%.2f", ratio))x smaller), FLOPs \(r.flopsBefore) -> \(r.flopsAfter)")
                for u in r.units {
                    let density = u.synflowDensity.map { String(format: ", synflow keeps %.3f, rank %d", $0, u.sensitivityRank ?? 0) } ?? ""
                    print("  \(u.layers.joined(separator: "+")): \(u.channelsBefore) -> \(u.channelsAfter) channels\(density)")
                }
            }
        }
    }
}
