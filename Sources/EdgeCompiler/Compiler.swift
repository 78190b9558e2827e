import EdgeFormat
import Foundation

/// `edgec compile`: ONNX in, `.edgm` out.
///
/// import -> shape propagation and constant folding -> cleanup -> BatchNorm folding ->
/// activation fusion -> channel pruning -> dead-node elimination -> lowering -> memory
/// plan -> write.
public struct CompileOptions {
    /// Concrete shapes for graph inputs with symbolic dimensions.
    public var inputShapes: [String: [Int]] = [:]
    /// Tag stored in the metadata (e.g. "sparsity-80").
    public var variantTag: String = ""
    public var compressWeights: Bool = false
    public var inPlace: Bool = true
    /// Physically remove channels that cannot change any output (ChannelPruning).
    public var prune: Bool = true
    /// Keep pruned channel counts at multiples of this.
    public var roundChannels: Int = 1

    public init() {}
}

public struct CompileResult {
    public var bytes: [UInt8]
    public var arenaBytes: Int
    public var arenaLowerBound: Int
    public var inPlaceMerges: Int
    public var opCount: Int
    public var params: Int
    /// Things the user may want to know (defaults chosen, ...), one line each.
    public var notes: [String]
    public var seconds: Double
    /// What channel pruning removed and kept (nil with `prune` off or when it was skipped).
    public var pruning: PruningReport? = nil
}

public enum Compiler {
    public static let version = "0.1.0"

    public static func compile(onnxPath: String, options: CompileOptions) throws -> CompileResult {
        let bytes = try readFile(onnxPath)
        return try compile(onnxBytes: bytes, name: URL(fileURLWithPath: onnxPath).deletingPathExtension().lastPathComponent, options: options)
    }

    public static func readFile(_ path: String) throws -> [UInt8] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw EdgeError(.io, "cannot open '\(path)': no such file")
        }
        guard !isDir.boolValue else { throw EdgeError(.io, "'\(path)' is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else { throw EdgeError(.io, "cannot read '\(path)'") }
        return [UInt8](data)
    }

    public static func compile(onnxBytes: [UInt8], name: String, options: CompileOptions) throws -> CompileResult {
        try compile(onnxBytes: onnxBytes, name: name, options: options, afterFusion: nil)
    }

    /// `afterFusion` lets tests edit the graph between activation fusion and pruning
    /// (e.g. zero some filters of a dense fixture).
    static func compile(onnxBytes: [UInt8], name: String, options: CompileOptions,
                        afterFusion: ((Graph) -> Void)?) throws -> CompileResult {
        let start = Date()
        let onnx = try OnnxReader.read(bytes: onnxBytes)
        var notes: [String] = []
        let graph = try Graph.from(onnx)
        try Propagation.run(graph, inputInfo: onnx.graph.inputs, inputShapes: options.inputShapes, notes: &notes)
        Cleanup.removeIdentities(graph)
        Cleanup.removeDeadNodes(graph)
        try BatchNormFolding.run(graph)
        try ActivationFusion.run(graph)
        afterFusion?(graph)
        var pruning: PruningReport? = nil
        if options.prune {
            // On an internal inconsistency the pass leaves the graph untouched: compile unpruned.
            do { pruning = try ChannelPruning.run(graph, PruningOptions(roundChannels: options.roundChannels)) }
            catch { notes.append("channel pruning skipped: \(error)") }
        }
        Cleanup.removeDeadNodes(graph)
        let lowered = try Lowering.lower(graph)
        let plan = MemoryPlanner.plan(lowered, allowInPlace: options.inPlace)

        var metadata: [MetaEntry] = [
            MetaEntry("model.name", .string(onnx.graph.name.isEmpty ? name : onnx.graph.name)),
            MetaEntry("model.file", .string(name)),
            MetaEntry("source.crc32", .int(Int64(Zlib.crc32(onnxBytes)))),
            MetaEntry("source.bytes", .int(Int64(onnxBytes.count))),
            MetaEntry("source.producer", .string(onnx.producerName + (onnx.producerVersion.isEmpty ? "" : " " + onnx.producerVersion))),
            MetaEntry("source.opset", .int(Int64(graph.opset))),
            MetaEntry("compiler.version", .string("edgec " + version)),
            MetaEntry("variant.tag", .string(options.variantTag)),
        ]
        for (key, value) in onnx.metadata.sorted(by: { $0.key < $1.key }) where key.hasPrefix("edge.") {
            metadata.append(MetaEntry("onnx." + key, .string(value)))
        }
        if let report = pruning {
            // Kept in the file so `edgec inspect` can show channels before -> after later.
            let object = try JSONSerialization.jsonObject(with: report.jsonData())
            let compact = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            metadata.append(MetaEntry("pruning.report", .string(String(decoding: compact, as: UTF8.self))))
        }

        var weights = ByteWriter()
        var tensors: [EdgmTensor] = []
        var params = 0
        for (i, t) in lowered.tensors.enumerated() {
            switch t.storage {
            case .arena:
                tensors.append(EdgmTensor(name: t.name, storage: .arena, shape: t.shape, offset: plan.offsets[i],
                                          byteCount: t.byteCount, aliasOf: t.aliasOf.map { Int32($0) } ?? -1))
            case .weight(let data):
                weights.align(to: EdgmLayout.alignment)
                let offset = weights.count
                data.withUnsafeBytes { weights.append($0) }
                params += data.count
                tensors.append(EdgmTensor(name: t.name, storage: .weight, shape: t.shape, offset: offset, byteCount: t.byteCount))
            }
        }
        weights.align(to: EdgmLayout.alignment)
        let model = EdgmModel(
            metadata: metadata,
            graph: EdgmGraph(arenaBytes: plan.arenaBytes, arenaLowerBound: plan.lowerBound,
                             inputs: lowered.inputs, outputs: lowered.outputs),
            tensors: tensors, ops: lowered.ops)
        let bytes = try EdgmWriter.serialize(model, weights: weights.bytes, compressWeights: options.compressWeights)
        return CompileResult(bytes: bytes, arenaBytes: plan.arenaBytes, arenaLowerBound: plan.lowerBound,
                             inPlaceMerges: plan.inPlaceMerges, opCount: lowered.ops.count, params: params,
                             notes: notes, seconds: Date().timeIntervalSince(start), pruning: pruning)
    }
}
