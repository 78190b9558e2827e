import ArgumentParser
import EdgeCompiler
import EdgeFormat
import EdgeReports
import EdgeRuntime
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a .edgm model's layers, sizes, FLOPs and memory plan.",
        discussion: """
            Per layer: index (for --slice), op (with its fused activation), output shape,
            parameters and FLOPs (a multiply-add counts 2). Then totals, the arena size next
            to its lower bound (the most bytes ever live at once), scratch, and the file's
            sections. --json prints the same as one object with keys params, flops,
            arena_bytes, arena_lower_bound, scratch_bytes, file_bytes, sections, layers,
            inputs, outputs, metadata.
            """)

    @Argument(help: "The .edgm model.")
    var model: String

    @Flag(name: .customLong("json"), help: "Print JSON instead of a table.")
    var json = false

    @Flag(name: .customLong("ops"), help: "Print only the op codes the model uses, comma-separated (the firmware's OPS= list).")
    var ops = false

    @Flag(name: .customLong("conv-kernels"),
          help: "Print only the conv kernel families the model's convs use on this machine (winograd, depthwise; comma-separated, maybe empty): the firmware's CONV_KERNELS= list.")
    var convKernels = false

    func run() throws {
        try failing {
            if ops {
                let file = try MappedFile(path: model)
                let names = try withExtendedLifetime(file) { try EdgmFile(image: file.bytes).model.opCodes.map(\.name) }
                print(names.joined(separator: ","))
                return
            }
            let interpreter = try Interpreter(path: model)
            if convKernels {
                var names: [String] = []
                for case .conv(let l) in interpreter.layers {
                    if let k = l.selectableKernel, !names.contains(k) { names.append(k) }
                }
                print(names.sorted().joined(separator: ","))
                return
            }
            let fileBytes = (try? FileManager.default.attributesOfItem(atPath: model)[.size] as? Int) ?? 0
            let s = ModelSummary(interpreter, fileBytes: fileBytes)
            if json {
                print(jsonString(Self.json(s, interpreter)))
            } else {
                Self.printTable(s, interpreter)
            }
        }
    }

    /// The pruning report the compiler stored in the metadata, if any.
    static func pruning(_ interpreter: Interpreter) -> [String: Any]? {
        guard let text = interpreter.model.metaString("pruning.report") else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    static func json(_ s: ModelSummary, _ interpreter: Interpreter) -> [String: Any] {
        var meta: [String: Any] = [:]
        for e in s.metadata {
            switch e.value {
            case .string(let v): meta[e.key] = v
            case .int(let v): meta[e.key] = v
            case .float(let v): meta[e.key] = v
            case .strings(let v): meta[e.key] = v
            case .ints(let v): meta[e.key] = v
            }
        }
        meta["pruning.report"] = nil
        return [
            "pruning": pruning(interpreter) ?? NSNull(),
            "params": s.params, "flops": s.flops,
            "arena_bytes": s.arenaBytes, "arena_lower_bound": s.arenaLowerBound,
            "scratch_bytes": s.scratchBytes, "weight_bytes": s.weightBytes, "file_bytes": s.fileBytes,
            "op_codes": interpreter.model.opCodes.map(\.name),
            "format_version": "\(interpreter.file.version.major).\(interpreter.file.version.minor)",
            "sections": s.sections.map { ["name": $0.name, "offset": $0.offset, "stored_bytes": $0.storedSize, "bytes": $0.size, "compressed": $0.flags & EdgmLayout.flagCompressed != 0] as [String: Any] },
            "layers": s.layers.map { l -> [String: Any] in
                let op = interpreter.model.ops[l.index]
                return ["index": l.index, "name": l.name, "op": l.op, "activation": ModelSummary.fusedSuffix(op).dropFirst().description,
                        "inputs": l.inputs, "outputs": l.outputs, "output_shape": l.outputShape, "params": l.params, "flops": l.flops]
            },
            "inputs": s.inputs.map { ["name": $0.name, "shape": $0.shape] as [String: Any] },
            "outputs": s.outputs.map { ["name": $0.name, "shape": $0.shape] as [String: Any] },
            "metadata": meta,
        ]
    }

    static func printTable(_ s: ModelSummary, _ interpreter: Interpreter) {
        let name = interpreter.model.metaString("model.name") ?? "?"
        print("model \(name)  (edgm \(interpreter.file.version.major).\(interpreter.file.version.minor))")
        for i in s.inputs { print("  input  \(i.name) \(ShapeText.of(i.shape))") }
        for o in s.outputs { print("  output \(o.name) \(ShapeText.of(o.shape))") }
        print("")
        let report = pruning(interpreter)
        var channels: [String: String] = [:]
        for layer in report?["layers"] as? [[String: Any]] ?? [] {
            if let name = layer["name"] as? String, let before = layer["channels_before"] as? Int, let after = layer["channels_after"] as? Int {
                channels[name] = before == after ? "\(after)" : "\(before)->\(after)"
            }
        }
        print(pad("#", 4) + pad("op", 22) + pad("output shape", 20) + lpad("params", 10) + lpad("MFLOPs", 10)
              + (report != nil ? lpad("channels", 11) : "") + "  name")
        for l in s.layers {
            let op = l.op + ModelSummary.fusedSuffix(interpreter.model.ops[l.index])
            print(pad("\(l.index)", 4) + pad(op, 22) + pad(ShapeText.of(l.outputShape), 20) + lpad("\(l.params)", 10)
                  + lpad(String(format: "%.2f", Double(l.flops) / 1e6), 10)
                  + (report != nil ? lpad(channels[l.name] ?? "", 11) : "") + "  " + l.name)
        }
        print("")
        print("layers \(s.layers.count), params \(s.params), FLOPs \(String(format: "%.3f", Double(s.flops) / 1e9)) G")
        if let r = report, let pb = r["params_before"] as? Int, let pa = r["params_after"] as? Int,
           let fb = r["flops_before"] as? Int, let fa = r["flops_after"] as? Int {
            let removed = r["channels_removed"] as? Int ?? 0
            print("pruning: \(removed) channels removed; params \(pb) -> \(pa) (\(String(format: "%.2f", Double(pb) / Double(max(pa, 1))))x), FLOPs \(String(format: "%.3f", Double(fb) / 1e9)) -> \(String(format: "%.3f", Double(fa) / 1e9)) G")
            if let reasons = r["kept_reasons"] as? [String: Int], !reasons.isEmpty {
                print("  all-zero filters kept: " + reasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            }
        }
        let ratio = s.arenaLowerBound > 0 ? Double(s.arenaBytes) / Double(s.arenaLowerBound) : 1
        print("arena \(humanBytes(s.arenaBytes)) (lower bound \(humanBytes(s.arenaLowerBound)), \(String(format: "%.2f", ratio))x), scratch \(humanBytes(s.scratchBytes)), weights \(humanBytes(s.weightBytes))")
        print("file \(humanBytes(s.fileBytes)): " + s.sections.map { "\($0.name) \(humanBytes($0.storedSize))\($0.flags & EdgmLayout.flagCompressed != 0 ? " (zlib)" : "")" }.joined(separator: ", "))
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
