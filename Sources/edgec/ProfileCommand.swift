import ArgumentParser
import EdgeClient
import EdgeFormat
import EdgePlanner
import EdgeSplit
import EdgeTransfer
import EdgeTrust
import Foundation

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Measure a model's blocks on one system and write a profile for edgec partition.",
        discussion: """
            Cuts the model at every valid cut (one tensor crossing) and times each
            block: the warm median of --iterations runs on its real input. Records
            output bytes (as a .npy, what slices exchange), output shape, FLOPs, params,
            weight and peak arena bytes, and the model's input bytes (schema:
            Formats/PROFILE.md). If -o names an existing profile of the same system, the
            model is added to it (or replaced).

            --transfer-layers LIST (e.g. none,pool2,pca:auto,u8; see edgec partition) also
            splits the model at every cut with each option (edgec split's code: Transfer
            Layer in the head and tail, wire encoding, zlib where it pays) and records per
            cut the bytes per frame sent, the time added on the sender and the receiver,
            and the fidelity against the unsplit model, on --calibration inputs (.npy;
            needed for pca) or 8 seeded random ones. These always run in this host's
            interpreter, with --qemu too. An option that cannot apply at a cut (pool2 on a
            flat tensor) is left out there.

            --qemu runs Firmware/build/aarch64/edge-run (make firmware) under
            qemu-aarch64: an emulated, slow device, labelled so in the profile - not a
            real board's times.

            --remote HOST:PORT asks an edged agent to time the model on its own
            interpreter (the Bench message, Formats/WIRE.md): the agent runs the
            variant named by --variant (default: its active one) --iterations times on
            the artifact's self-test input and returns each layer's median; a block's
            time is the sum of its layers'. The variant must be this very .edgm (its
            SHA-256 is compared). Exit 8 if the agent refuses, 9 if it is unreachable.
            """)

    @Argument(help: "The .edgm model.")
    var model: String

    @Option(help: "The system's name (as the network file spells it).")
    var system: String

    @Option(help: "Its tier: device, edge, cloud (or another lower-case name for --chain).")
    var tier: String

    @Option(help: "Model name in the profile (default: the file name without .edgm).")
    var name: String?

    @Option(help: "Timed runs per block (median).")
    var iterations: Int = 10

    @Option(name: .customLong("memory-mb"), help: "Memory available to model slices on this system, MB (for memory constraints).")
    var memoryMB: Double?

    @Flag(help: "Run the aarch64 device build under qemu-aarch64 (a slow emulated device).")
    var qemu = false

    @Option(help: ArgumentHelp("edge-run binary for --qemu.", valueName: "PATH"))
    var edgeRun: String = "Firmware/build/aarch64/edge-run"

    @Option(help: ArgumentHelp("Ask an edged agent to profile the model on itself.", valueName: "HOST:PORT"))
    var remote: String?

    @Option(name: .customLong("transfer-layers"), help: ArgumentHelp("Transfer options to measure at every cut, e.g. none,pool2,pca:auto,u8.", valueName: "LIST"))
    var transferLayers: String?

    @Option(help: ArgumentHelp("With --transfer-layers: .npy inputs to measure on (and fit PCA on).", valueName: "DIR"))
    var calibration: String?

    @Option(help: "With pca:auto: the explained-variance fraction K must reach.")
    var fidelity: Double = 0.99
    @Option(help: ArgumentHelp("With --remote: the agent's variant that holds this model (default: the active one).", valueName: "NAME"))
    var variant: String?

    @Option(name: .shortAndLong, help: "Output profile (.json).")
    var output: String

    static let maxMemoryMB: Double = 1e9

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        // The profiler runs iterations + 1 times (one warm-up): bounded like bench's.
        guard iterations <= maxIterations else { throw ValidationError("--iterations must be at most \(maxIterations), got \(iterations)") }
        guard TierName.isValid(tier) else { throw ValidationError("--tier must be a lower-case name like device, edge or cloud") }
        if let m = memoryMB, !(m > 0) { throw ValidationError("--memory-mb must be positive") }
        if transferLayers == nil && calibration != nil { throw ValidationError("--calibration needs --transfer-layers") }
        guard fidelity > 0, fidelity <= 1 else { throw ValidationError("--fidelity must be in (0, 1]") }
        // Stored as whole bytes (an Int): a larger or infinite value would trap in the conversion.
        if let m = memoryMB, !(m <= Self.maxMemoryMB) { throw ValidationError("--memory-mb must be at most \(Int(Self.maxMemoryMB)) (1 PB), got \(m)") }
        if remote != nil && qemu { throw ValidationError("--remote and --qemu exclude each other") }
        if variant != nil && remote == nil { throw ValidationError("--variant needs --remote") }
        if remote != nil && iterations > 1000 { throw ValidationError("--remote: the agent times at most 1000 iterations") }
    }

    func run() throws {
        try agentFailing {
            var runner = BlockProfiler.Runner.interpreter
            if qemu {
                let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/qemu-aarch64" }
                guard let q = path.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                    throw EdgeError(.io, "--qemu: qemu-aarch64 is not on PATH (Tools/setup_cross.sh installs it)")
                }
                guard FileManager.default.isExecutableFile(atPath: edgeRun) else {
                    throw EdgeError(.io, "--qemu: no edge-run at '\(edgeRun)' (build it with make firmware, or pass --edge-run)")
                }
                runner = .qemu(qemu: q, edgeRun: edgeRun)
            }
            let transfers = try transferLayers.map { (t) throws(EdgeError) in try TransferOption.parseList(t) } ?? []
            if calibration == nil, let pca = transfers.first(where: { $0.tl.hasPrefix("pca") }) {
                throw EdgeError(.invalidArgument, "--transfer-layers \(pca): PCA is fitted on real inputs; pass --calibration DIR (.npy inputs)")
            }
            let profiler = try BlockProfiler(path: model)
            let modelName = name ?? ((model as NSString).lastPathComponent as NSString).deletingPathExtension
            let interactive = isatty(2) != 0
            var m: ModelProfile
            var how = qemu ? "edgec profile --qemu: edge-run under qemu-aarch64 (emulated; a slow device, not a real board)"
                           : "edgec profile: interpreter on this host"
            if let remote {
                let r = try AgentClient(address: remote).bench(variant: variant ?? "", iterations: iterations)
                let local = try FileIO.read(model)
                guard Sha256.digest(local) == r.modelSha256 else {
                    throw EdgeError(.invalidArgument, "the agent's variant '\(r.variant)' v\(r.variantVersion) is not '\(model)' (SHA-256 differs); pass --variant NAME of the one signed from this file")
                }
                m = try profiler.profile(name: modelName, iterations: r.iterations, layerSeconds: r.layers.map { $0.seconds }, runner: "edged")
                how = "edgec profile --remote \(remote): edged's interpreter, variant \(r.variant) v\(r.variantVersion), per-layer medians of \(r.iterations) runs"
            } else {
                m = try profiler.profile(name: modelName, iterations: iterations, runner: runner) { k, n in
                    if interactive || k == n || k % max(1, n / 4) == 0 {
                        FileHandle.standardError.write("edgec: profiling block \(k)/\(n)\(interactive && k < n ? "\r" : "\n")".data(using: .utf8)!)
                    }
                }
            }
            if !transfers.isEmpty { try measureTransfers(transfers, into: &m, progress: interactive) }
            if !transfers.isEmpty { how += "; transfer options measured in this host's interpreter" }
            var profile = SystemProfile(system: system, tier: tier, memoryBytes: memoryMB.map { Int($0 * 1e6) }, source: how, models: [m])
            if FileManager.default.fileExists(atPath: output) {
                let old = try SystemProfile.load(output)
                guard old.system == system, old.tier == tier else {
                    throw EdgeError(.invalidArgument, "'\(output)' is the profile of \(old.tier) '\(old.system)', not \(tier) '\(system)'; choose another -o")
                }
                profile.models = old.models.filter { $0.name.lowercased() != modelName.lowercased() } + [m]
                profile.memoryBytes = profile.memoryBytes ?? old.memoryBytes
            }
            try profile.write(output)
            let total = m.blocks.reduce(0.0) { $0 + $1.seconds }
            print(String(format: "%@: %d blocks, %.3f ms in total on %@ (%@) -> %@", modelName, m.blocks.count, total * 1000, system, m.runner ?? "interpreter", output))
        }
    }

    /// Every cut (after each block but the last) with every option: `block.transfers`.
    func measureTransfers(_ options: [TransferOption], into m: inout ModelProfile, progress interactive: Bool) throws {
        let cuts = m.blocks.count - 1
        for b in 0..<cuts {
            let layer = m.blocks[b].lastLayer
            var measured: [TransferProfile] = []
            for o in options {
                let tl = try TransferLayerKind.parse(o.tl)
                if let why = try TransferProfiler.inapplicable(modelPath: model, layer: layer, tl: tl) {
                    note("transfer \(o) not measured after layer \(layer): \(why)")
                    continue
                }
                let t = try TransferProfiler.measure(modelPath: model, layer: layer, tl: tl, encoding: try TransferEncoding.parse(o.encoding),
                                                     calibration: calibration, fidelityTarget: fidelity)
                measured.append(TransferProfile(option: o.description, tl: t.tl, encoding: t.encoding, bytes: t.bytes,
                                                sendSeconds: t.sendSeconds, receiveSeconds: t.receiveSeconds, fidelity: t.fidelity,
                                                maxRelError: t.maxRelError, meanRelError: t.meanRelError,
                                                top1Agreement: t.top1Agreement, samples: t.samples))
            }
            m.blocks[b].transfers = measured
            if interactive || b + 1 == cuts {
                FileHandle.standardError.write("edgec: transfer options at cut \(b + 1)/\(cuts)\(interactive && b + 1 < cuts ? "\r" : "\n")".data(using: .utf8)!)
            }
        }
    }
}
