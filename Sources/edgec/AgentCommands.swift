import ArgumentParser
import EdgeClient
import EdgeFormat
import EdgeTrust
import EdgeWire
import Foundation

// Thin commands over EdgeClient: the device agent's operator side (Formats/WIRE.md).
// Exit codes beyond the common ones: 8 the agent refused (its reason is printed),
// 9 the agent could not be reached or the connection broke.

func agentFailing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try failing(body)
    } catch let e as ClientError {
        FileHandle.standardError.write(("edgec: error: \(e)\n").data(using: .utf8)!)
        switch e {
        case .refused: throw ExitCode(8)
        case .connection: throw ExitCode(9)
        case .local: throw ExitCode(2)
        }
    } catch let e as WireError {
        FileHandle.standardError.write(("edgec: error: \(e.message)\n").data(using: .utf8)!)
        throw ExitCode(e.code == .io ? 3 : 2)
    }
}

struct AgentOptions: ParsableArguments {
    @Option(name: .customLong("to"), help: ArgumentHelp("The agent's address.", valueName: "HOST:PORT"))
    var address: String
}

struct KeyOption: ParsableArguments {
    @Option(name: .customLong("key"), help: ArgumentHelp("Secret key that signs the command (from edgec keygen).", valueName: "K.key"))
    var keyPath: String

    func secret() throws -> [UInt8] { try KeyFile.readSecret(keyPath) }
}

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Create an Ed25519 key pair: NAME.key (secret, mode 0600) and NAME.pub.",
        discussion: "The agent is started with --trust NAME.pub; artifacts and commands are signed with NAME.key.")

    @Option(help: "Path prefix of the two files.") var out: String
    @Flag(help: "Overwrite existing files.") var force = false

    func run() throws {
        try agentFailing {
            let (pk, sk) = Ed25519.keypair()
            for (path, text) in [(out + ".key", KeyFile.secretText(sk)), (out + ".pub", KeyFile.publicText(pk))] {
                if !force && FileManager.default.fileExists(atPath: path) {
                    throw EdgeError(.invalidArgument, "'\(path)' exists (use --force to overwrite)")
                }
                try FileIO.write(path, Array(text.utf8))
            }
            chmod(out + ".key", 0o600)
            print("wrote \(out).key and \(out).pub (key id \(Hex.encode(Array(pk[0..<8]))))")
        }
    }
}

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Wrap a .edgm with its metadata and a self-test, and sign it (.edgs).",
        discussion: """
            The self-test is a deterministic input and the output Edge's interpreter computes
            for it; the agent reruns it before installing. Format: Formats/ARTIFACT.md.
            """)

    @Argument(help: "The compiled model.") var model: String
    @Option(help: ArgumentHelp("Secret key.", valueName: "K.key")) var key: String
    @Option(help: "Variant name (default: the file name without extension).") var name: String?
    @Option(help: "Version; the agent accepts only versions above the installed one of the same name.") var version: UInt64 = 1
    @Option(help: "Model family, e.g. the portfolio it belongs to.") var family: String = ""
    @Option(name: .shortAndLong, help: "Output .edgs path.") var output: String
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        try agentFailing {
            let sk = try KeyFile.readSecret(key)
            let bytes = try FileIO.read(model)
            let n = name ?? URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
            guard SignedArtifact.validName(n) else {
                throw EdgeError(.invalidArgument, "name '\(n)' is not 1-64 characters of [A-Za-z0-9._-]")
            }
            let signed = try ArtifactSigner.sign(model: bytes, metadata: ArtifactMetadata(name: n, version: version, family: family), secretKey: sk)
            try FileIO.write(output, signed)
            if json {
                print(jsonString(["output": output, "name": n, "version": version, "bytes": signed.count, "sha256": Hex.encode(Sha256.digest(signed))]))
            } else {
                print("signed \(n) v\(version): \(output) (\(humanBytes(signed.count)))")
            }
        }
    }
}

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Upload a signed artifact to an agent (installed only if it verifies and passes its self-test).")

    @Argument(help: "The .edgs artifact.") var artifact: String
    @OptionGroup var agent: AgentOptions
    @OptionGroup var key: KeyOption
    @Flag(help: "Activate the variant once installed.") var activate = false
    @Option(help: "Chunk size in bytes.") var chunkBytes: Int = 1 << 20

    func run() throws {
        try agentFailing {
            guard chunkBytes > 0, chunkBytes <= 8 << 20 else { throw EdgeError(.invalidArgument, "--chunk-bytes must be 1..8388608") }
            let bytes = try FileIO.read(artifact)
            let text = try AgentClient(address: agent.address).push(bytes, key: try key.secret(), activate: activate, chunkBytes: chunkBytes)
            print(text)
        }
    }
}

struct ActivateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "activate", abstract: "Make an installed variant the one that serves new requests.")
    @Argument(help: "Variant name.") var name: String
    @OptionGroup var agent: AgentOptions
    @OptionGroup var key: KeyOption

    func run() throws {
        try agentFailing { print(try AgentClient(address: agent.address).command(.activate(name: name), key: try key.secret())) }
    }
}

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Switch back to the previous variant.")
    @OptionGroup var agent: AgentOptions
    @OptionGroup var key: KeyOption

    func run() throws {
        try agentFailing { print(try AgentClient(address: agent.address).command(.rollback, key: try key.secret())) }
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Active and previous variant, installed variants, request counters.")
    @OptionGroup var agent: AgentOptions
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        try agentFailing {
            let s = try AgentClient(address: agent.address).status()
            if json {
                print(jsonString(["active": s.active, "previous": s.previous, "served": s.served, "failed": s.failed,
                                  "switches": s.switches, "refused": s.refused, "last_counter": s.lastCounter, "connections": s.connections,
                                  "rss_bytes": s.rssBytes, "switch_p50_ms": Double(s.switchP50Nanos) / 1e6,
                                  "switch_p99_ms": Double(s.switchP99Nanos) / 1e6, "switch_samples": s.switchSamples,
                                  "last_cold_load_ms": Double(s.lastColdLoadNanos) / 1e6,
                                  "policy_budget_ms": s.policyBudgetMs, "policy_switches": s.policySwitches, "recent_p95_ms": s.recentP95Ms,
                                  "forward_to": s.forwardTo, "forward_variant": s.forwardVariant, "forwarded": s.forwarded,
                                  "forward_failed": s.forwardFailed, "agent_id": String(s.agentId),
                                  "roma": s.romaEstimates.isEmpty ? NSNull() as Any : [
                                      "current": s.romaCurrent, "switches": s.romaSwitches, "outputs": s.romaOutputs,
                                      "frame_interval_ms": s.romaIntervalMs,
                                      "estimates": s.romaEstimates.map { ["name": $0.name, "sap50": $0.accuracy, "latency_ms": $0.latencyMs] as [String: Any] },
                                  ] as [String: Any] as Any,
                                  "first_run_rollbacks": s.firstRunRollbacks, "arena_bytes": s.arenaBytes, "max_resident": s.maxResident,
                                  "variants": s.variants.map { ["name": $0.name, "version": $0.version, "bytes": $0.bytes,
                                                                "family": $0.family, "resident": $0.resident] as [String: Any] }]))
                return
            }
            print("active:   \(s.active.isEmpty ? "(none)" : s.active)")
            print("previous: \(s.previous.isEmpty ? "(none)" : s.previous)")
            print("served \(s.served), failed \(s.failed), switches \(s.switches), refused \(s.refused), connections \(s.connections)")
            print(String(format: "rss %@ (worker arenas %@, up to %d variants resident); switch latency p50 %.3f ms, p99 %.3f ms (%d samples); last cold load %.3f ms",
                         humanBytes(Int(s.rssBytes)), humanBytes(Int(s.arenaBytes)), Int(s.maxResident),
                         Double(s.switchP50Nanos) / 1e6, Double(s.switchP99Nanos) / 1e6,
                         Int(s.switchSamples), Double(s.lastColdLoadNanos) / 1e6))
            if s.firstRunRollbacks > 0 { print("rolled back after a failed first run: \(s.firstRunRollbacks) time(s)") }
            if s.policyBudgetMs > 0 {
                print(String(format: "policy: p95 budget %.3f ms, recent p95 %.3f ms, %d policy switches",
                             s.policyBudgetMs, s.recentP95Ms, Int(s.policySwitches)))
            }
            if !s.forwardTo.isEmpty {
                print("forwarding: output of \(s.forwardVariant) to \(s.forwardTo) (\(s.forwarded) forwarded, \(s.forwardFailed) failed)")
            }
            if !s.romaEstimates.isEmpty {
                print(String(format: "roma: current %@, %d switches, %d outputs observed, frame interval %.3f ms",
                             s.romaCurrent, Int(s.romaSwitches), Int(s.romaOutputs), s.romaIntervalMs))
                for e in s.romaEstimates {
                    print(String(format: "  %@ estimated sAP50 %.4f at %.3f ms", e.name.padding(toLength: 24, withPad: " ", startingAt: 0), e.accuracy, e.latencyMs))
                }
            }
            for v in s.variants {
                print("  \(v.name.padding(toLength: 24, withPad: " ", startingAt: 0)) v\(v.version)  \(humanBytes(Int(v.bytes)))\(v.resident ? "  resident" : "")")
            }
        }
    }
}

func loadInputs(_ specs: [String]) throws -> [(String, NpyArray)] {
    guard !specs.isEmpty else { throw EdgeError(.invalidArgument, "give at least one --input NAME=FILE.npy") }
    return try specs.map { s in
        let (n, f) = try splitAssignment(s, "--input")
        return (n, try NpyArray.read(f))
    }
}

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer", abstract: "Run one request on the agent; writes the outputs as .npy and says which variant served it.")
    @OptionGroup var agent: AgentOptions
    @Option(name: .customLong("input"), help: ArgumentHelp("Input tensor (repeatable).", valueName: "NAME=FILE.npy")) var inputs: [String] = []
    @Option(name: .customLong("output-dir"), help: "Directory for output .npy files.") var outputDir: String = "."
    @Flag(help: "Compress tensors with zlib on the wire.") var zlib = false
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        try agentFailing {
            let request = try loadInputs(inputs)
            let t0 = Date()
            let r = try AgentClient(address: agent.address).infer(request, zlib: zlib)
            let roundTripMs = Date().timeIntervalSince(t0) * 1000
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            var files: [[String: Any]] = []
            for t in r.outputs {
                let path = (outputDir as NSString).appendingPathComponent(Utf8Text.safeFileName(t.name) + ".npy")
                try NpyArray(shape: t.shape, data: try WireTensors.floats(t)).write(path)
                files.append(["name": t.name, "file": path, "shape": t.shape])
            }
            if json {
                var o: [String: Any] = ["variant": r.variant, "version": r.variantVersion, "latency_ms": Double(r.latencyNanos) / 1e6,
                                        "round_trip_ms": roundTripMs, "outputs": files]
                if !r.chain.isEmpty {
                    o["chain"] = r.chain.map { ["variant": $0.variant, "compute_ms": Double($0.computeNanos) / 1e6,
                                                "sent_bytes": $0.sentBytes, "total_ms": Double($0.totalNanos) / 1e6] as [String: Any] }
                }
                print(jsonString(o))
            } else {
                print("served by \(r.variant) v\(r.variantVersion) in \(String(format: "%.3f", Double(r.latencyNanos) / 1e6)) ms; wrote \(files.count) output(s) to \(outputDir)")
                for h in r.chain {
                    print(String(format: "  %@: compute %.3f ms, sent %d bytes, %.3f ms until its reply", h.variant,
                                 Double(h.computeNanos) / 1e6, Int(h.sentBytes), Double(h.totalNanos) / 1e6))
                }
            }
        }
    }
}

struct LoadgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen", abstract: "Closed-loop load: N connections sending requests for a duration; latency percentiles per variant.")
    @OptionGroup var agent: AgentOptions
    @Option(name: .customLong("input"), help: ArgumentHelp("Input tensor (repeatable).", valueName: "NAME=FILE.npy")) var inputs: [String] = []
    @Option(help: "Concurrent connections.") var concurrency: Int = 4
    @Option(help: "Seconds to run.") var duration: Double = 10
    @Option(help: ArgumentHelp("Alternate activations of these variants during the run (needs --key).", valueName: "A,B")) var swap: String?
    @Option(help: "Pause between two activations of --swap.") var swapEveryMs: Int = 50
    @Option(help: ArgumentHelp("Secret key for --swap.", valueName: "K.key")) var key: String?
    @Option(help: ArgumentHelp("Write every request as a CSV line: start_s,latency_ms (client),agent_ms (the agent's: kernel receive of the request -> reply ready),variant (empty if it failed), by start time.", valueName: "FILE.csv"))
    var trace: String?
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        try agentFailing {
            guard concurrency >= 1, concurrency <= 256 else { throw EdgeError(.invalidArgument, "--concurrency must be 1..256") }
            guard duration > 0, duration <= 3600 else { throw EdgeError(.invalidArgument, "--duration must be in (0, 3600] seconds") }
            guard swapEveryMs >= 0, swapEveryMs <= 60_000 else { throw EdgeError(.invalidArgument, "--swap-every-ms must be 0..60000") }
            var plan: LoadGenerator.SwapPlan? = nil
            if let names = swap {
                guard let k = key else { throw EdgeError(.invalidArgument, "--swap needs --key to sign the activations") }
                let list = names.split(separator: ",").map(String.init)
                guard !list.isEmpty else { throw EdgeError(.invalidArgument, "--swap expects NAME,NAME") }
                plan = LoadGenerator.SwapPlan(names: list, everyMs: swapEveryMs, key: try KeyFile.readSecret(k))
            }
            let r = try LoadGenerator(address: agent.address, inputs: try loadInputs(inputs))
                .run(concurrency: concurrency, seconds: duration, swap: plan, trace: trace != nil)
            if let path = trace {
                var csv = "start_s,latency_ms,agent_ms,variant\n"
                for t in r.trace.sorted(by: { $0.startSeconds < $1.startSeconds }) {
                    csv += String(format: "%.6f,%.4f,%.4f,", t.startSeconds, t.ms, t.agentMs) + t.variant + "\n"
                }
                guard FileManager.default.createFile(atPath: path, contents: csv.data(using: .utf8)) else {
                    throw EdgeError(.io, "cannot write '\(path)'")
                }
            }
            if json { print(jsonString(r.json)) } else { print(r.text) }
        }
    }
}

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Set the agent's switching policy: DNNShifter (default) or ROMA (`policy roma`).",
        subcommands: [ShifterPolicyCommand.self, RomaPolicyCommand.self], defaultSubcommand: ShifterPolicyCommand.self)
}

struct ShifterPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shifter", abstract: "Set the agent's switching policy from a portfolio manifest (DNNShifter).",
        discussion: """
            The agent then serves the most accurate variant whose p95 latency, as it measures
            it now (queue delay included), meets --budget-ms, stepping down when the budget is
            missed and back up when there is headroom (hysteresis). Variant names are the
            manifest's file names without .edgm, as `edgec sign` names them by default.
            --off removes the policy.
            """)
    @Argument(help: "manifest.json written by `edgec portfolio`.") var manifest: String?
    @Option(help: "p95 latency budget in milliseconds.") var budgetMs: Double = 20
    @Flag(help: "Remove the policy.") var off = false
    @OptionGroup var agent: AgentOptions
    @OptionGroup var key: KeyOption

    func run() throws {
        try agentFailing {
            var variants: [PolicyVariant] = []
            if !off {
                guard let path = manifest else { throw EdgeError(.invalidArgument, "give manifest.json, or --off") }
                guard budgetMs > 0, budgetMs <= 3_600_000 else { throw EdgeError(.invalidArgument, "--budget-ms must be in (0, 3600000]") }
                let data = try FileIO.read(path)
                guard let obj = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
                      let list = obj["variants"] as? [[String: Any]] else {
                    throw EdgeError(.format, "'\(path)' is not an edgec portfolio manifest")
                }
                for v in list {
                    guard let file = v["file"] as? String, let lat = v["latency_ms"] as? Double else {
                        throw EdgeError(.format, "'\(path)': a variant lacks file or latency_ms")
                    }
                    let name = file.hasSuffix(".edgm") ? String(file.dropLast(5)) : file
                    variants.append(PolicyVariant(name: name, accuracy: (v["accuracy"] as? Double) ?? 0, latencyMs: lat))
                }
                guard !variants.isEmpty else { throw EdgeError(.format, "'\(path)' lists no variants") }
            }
            print(try AgentClient(address: agent.address).command(.policy(PolicySpec(variants: variants, budgetMs: budgetMs)), key: try key.secret()))
        }
    }
}
