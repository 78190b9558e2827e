import CEdgeSupport
import EdgeFormat
import EdgeCompiler
import EdgeRuntime
import Foundation

/// Variants of one model (e.g. iterative-magnitude-pruning levels) compiled side by side
/// into `.edgm` files and a manifest the device agent chooses from.
public struct PortfolioVariant {
    public var tag: String
    public var source: String
    public var file: String
    public var sparsity: Double
    public var params: Int
    public var flops: Int
    public var fileBytes: Int
    public var latencyMs: Double
    public var accuracy: Double?
    public var arenaBytes: Int

    public var json: [String: Any] {
        var j: [String: Any] = ["tag": tag, "source": source, "file": file, "sparsity": sparsity, "params": params,
                                "flops": flops, "file_bytes": fileBytes, "latency_ms": latencyMs, "arena_bytes": arenaBytes]
        j["accuracy"] = accuracy ?? NSNull()
        return j
    }
}

public enum Portfolio {
    /// Fraction of exact zeros among the weights of rank >= 2 (conv kernels, matrices).
    public static func sparsity(_ model: OnnxModel) -> Double {
        var zeros = 0, total = 0
        for t in model.graph.initializers where t.dims.count >= 2 {
            if case .float(let values) = t.data {
                total += values.count
                zeros += values.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
            }
        }
        return total == 0 ? 0 : Double(zeros) / Double(total)
    }

    /// Compiles every source, checks they agree on inputs and outputs, measures each,
    /// and returns the variants from largest to smallest.
    public static func build(sources: [String], outputDirectory: String, options: CompileOptions,
                             iterations: Int, progress: (String) -> Void) throws -> [PortfolioVariant] {
        guard !sources.isEmpty else { throw EdgeError(.invalidArgument, "a portfolio needs at least one model") }
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        var variants: [PortfolioVariant] = []
        var signature: (inputs: [(String, [Int])], outputs: [(String, [Int])], source: String)? = nil
        var usedNames = Set<String>()
        for (k, source) in sources.enumerated() {
            progress("[\(k + 1)/\(sources.count)] compiling \(source)")
            let onnxBytes = try Compiler.readFile(source)
            let onnx = try OnnxReader.read(bytes: onnxBytes)
            let stem = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
            var opts = options
            let tag = onnx.metadata["edge.variant"] ?? stem
            opts.variantTag = tag
            let result = try Compiler.compile(onnxBytes: onnxBytes, name: stem, options: opts)
            var fileName = stem + ".edgm"
            var n = 2
            while usedNames.contains(fileName) { fileName = "\(stem)-\(n).edgm"; n += 1 }
            usedNames.insert(fileName)
            let path = (outputDirectory as NSString).appendingPathComponent(fileName)
            try FileIO.write(path, result.bytes)

            let interpreter = try Interpreter(bytes: result.bytes)
            let summary = ModelSummary(interpreter, fileBytes: result.bytes.count)
            let io = (summary.inputs.map { ($0.name, $0.shape) }, summary.outputs.map { ($0.name, $0.shape) })
            if let s = signature {
                guard s.inputs.elementsEqual(io.0, by: { $0.0 == $1.0 && $0.1 == $1.1 }),
                      s.outputs.elementsEqual(io.1, by: { $0.0 == $1.0 && $0.1 == $1.1 }) else {
                    func text(_ l: [(String, [Int])]) -> String { l.map { "\($0.0) \(ShapeText.of($0.1))" }.joined(separator: ", ") }
                    throw EdgeError(.shape, "\(source) does not match \(s.source): inputs \(text(io.0)) / outputs \(text(io.1)) vs inputs \(text(s.inputs)) / outputs \(text(s.outputs))")
                }
            } else {
                signature = (io.0, io.1, source)
            }
            let latency = measure(interpreter, iterations: iterations)
            variants.append(PortfolioVariant(
                tag: tag, source: source, file: fileName,
                sparsity: onnx.metadata["edge.sparsity"].flatMap(Double.init) ?? sparsity(onnx),
                params: summary.params, flops: summary.flops, fileBytes: result.bytes.count, latencyMs: latency,
                accuracy: onnx.metadata["edge.accuracy"].flatMap(Double.init), arenaBytes: summary.arenaBytes))
        }
        return variants.sorted { $0.params != $1.params ? $0.params > $1.params : $0.tag < $1.tag }
    }

    /// Median of `iterations` runs on a fixed pseudo-random input.
    static func measure(_ interpreter: Interpreter, iterations: Int) -> Double {
        for id in interpreter.model.graph.inputs {
            let t = interpreter.tensors[Int(id)]
            for i in 0..<t.count { t.data[i] = Float((i * 7919) % 255) / 255 }
        }
        interpreter.run()
        var times: [Double] = []
        for _ in 0..<max(1, iterations) {
            let t0 = edge_now_ns()
            interpreter.run()
            times.append(Double(edge_now_ns() - t0) / 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }

    public static func manifest(_ variants: [PortfolioVariant]) -> [String: Any] {
        ["format": "edge-portfolio", "version": 1, "order": "largest to smallest (params)",
         "variants": variants.map(\.json)]
    }
}
