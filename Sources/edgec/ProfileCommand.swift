import ArgumentParser
import EdgeFormat
import EdgePlanner
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

            --qemu runs Firmware/build/aarch64/edge-run (make firmware) under
            qemu-aarch64: an emulated, slow device, labelled so in the profile - not a
            real board's times. --remote (an edged agent profiling itself) is not
            available yet.
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

    @Option(help: ArgumentHelp("Ask an edged agent to profile itself (not yet available).", valueName: "HOST:PORT"))
    var remote: String?

    @Option(name: .shortAndLong, help: "Output profile (.json).")
    var output: String

    static let maxMemoryMB: Double = 1e9

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        // The profiler runs iterations + 1 times (one warm-up): bounded like bench's.
        guard iterations <= maxIterations else { throw ValidationError("--iterations must be at most \(maxIterations), got \(iterations)") }
        guard TierName.isValid(tier) else { throw ValidationError("--tier must be a lower-case name like device, edge or cloud") }
        if let m = memoryMB, !(m > 0) { throw ValidationError("--memory-mb must be positive") }
        // Stored as whole bytes (an Int): a larger or infinite value would trap in the conversion.
        if let m = memoryMB, !(m <= Self.maxMemoryMB) { throw ValidationError("--memory-mb must be at most \(Int(Self.maxMemoryMB)) (1 PB), got \(m)") }
    }

    func run() throws {
        try failing {
            if remote != nil {
                throw EdgeError(.unsupported, "--remote is not available yet: it needs the edged agent; profile on the board itself, or use --qemu for an emulated device")
            }
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
            let profiler = try BlockProfiler(path: model)
            let modelName = name ?? ((model as NSString).lastPathComponent as NSString).deletingPathExtension
            let interactive = isatty(2) != 0
            let m = try profiler.profile(name: modelName, iterations: iterations, runner: runner) { k, n in
                if interactive || k == n || k % max(1, n / 4) == 0 {
                    FileHandle.standardError.write("edgec: profiling block \(k)/\(n)\(interactive && k < n ? "\r" : "\n")".data(using: .utf8)!)
                }
            }
            let how = qemu ? "edgec profile --qemu: edge-run under qemu-aarch64 (emulated; a slow device, not a real board)"
                           : "edgec profile: interpreter on this host"
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
            print(String(format: "%@: %d blocks, %.3f ms in total on %@ (%@) -> %@", modelName, m.blocks.count, total * 1000, system, qemu ? "qemu-aarch64" : "interpreter", output))
        }
    }
}
