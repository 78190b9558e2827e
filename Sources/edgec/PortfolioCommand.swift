import ArgumentParser
import EdgeCompiler
import EdgeFormat
import EdgeReports
import Foundation

struct PortfolioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portfolio",
        abstract: "Compile variants of one model into .edgm files and a manifest.json.",
        discussion: """
            For pruned variants of one model (e.g. iterative magnitude pruning levels): every
            variant is compiled (dead channels removed), checked to share the same input and
            output names and shapes, and measured. DIR/manifest.json lists, from largest to
            smallest: tag (ONNX metadata edge.variant, or the file name), sparsity (edge.sparsity,
            or the zero fraction of the weights), params, FLOPs, file size, a quick median
            latency, and accuracy (ONNX metadata edge.accuracy) when present.
            """)

    @Argument(help: "The variants' ONNX files.")
    var models: [String]

    @Option(name: .shortAndLong, help: "Output directory.")
    var output: String

    @Option(name: .customLong("shape"), help: ArgumentHelp("Fix an input's shape (repeatable).", valueName: "NAME=DIMS"))
    var shapes: [String] = []

    @Option(help: "Runs per variant for the latency (median).")
    var iterations: Int = 20

    @Flag(name: .customLong("json"), help: "Print the manifest instead of a table.")
    var json = false

    func run() throws {
        try failing {
            try checkRange(iterations, "--iterations", 1...maxIterations)
            var options = CompileOptions()
            for s in shapes {
                let (name, dims) = try splitAssignment(s, "--shape")
                options.inputShapes[name] = try parseDims(dims)
            }
            let variants = try Portfolio.build(sources: models, outputDirectory: output, options: options,
                                               iterations: iterations, progress: { note($0) })
            let manifest = Portfolio.manifest(variants)
            let path = (output as NSString).appendingPathComponent("manifest.json")
            guard FileManager.default.createFile(atPath: path, contents: Data(jsonString(manifest).utf8)) else {
                throw EdgeError(.io, "cannot write '\(path)'")
            }
            if json {
                print(jsonString(manifest))
                return
            }
            print(pad("variant", 16) + lpad("sparsity", 9) + lpad("params", 10) + lpad("MFLOPs", 9) + lpad("file", 12)
                  + lpad("latency ms", 12) + lpad("accuracy", 10))
            for v in variants {
                print(pad(v.tag, 16) + lpad(String(format: "%.1f%%", 100 * v.sparsity), 9) + lpad("\(v.params)", 10)
                      + lpad(String(format: "%.2f", Double(v.flops) / 1e6), 9) + lpad(humanBytes(v.fileBytes), 12)
                      + lpad(String(format: "%.3f", v.latencyMs), 12)
                      + lpad(v.accuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "-", 10))
            }
            print("wrote \(variants.count) variants and \(path)")
        }
    }
}
