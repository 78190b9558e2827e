import ArgumentParser
import EdgeFormat
import EdgePlanner
import Foundation

struct PartitionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partition",
        abstract: "Find the best split of a model's blocks over device, edge and cloud systems.",
        discussion: """
            Reads per-block profiles (edgec profile, or Tools/import_scission.py for
            Scission's data) and Scission's network file
            (source,destination,ping_ms,bandwidth_mbps) and ranks configurations by
            end-to-end time: compute on each tier plus ping + bytes/bandwidth per hop. On
            the default chain device,edge,cloud the results equal Scission's
            scission_predict.py, printed in its format.

            CRIT (-d, -e, -c, --criteria TIER=CRIT) is Scission's criteria language,
            items separated by commas: N (layer N runs on this tier), !N (it does not),
            NAME (use only that system), !NAME (never that system), -1 (tier unused),
            !-1 (tier used). Naming a system also makes the tier used, as in Scission.
            Time caps: seconds (0.5) or a share of the total compute (40%). A value
            that starts with '-' needs the '=' form: --device=-1 or --device=-1,5.

            --transfer-layers LIST ranks every cut with each transfer option: a Transfer
            Layer (none, pool2, pca:K, pca:auto), an encoding (f32, f16, u8), or both as
            TL+ENC (pool2+u8); e.g. none,pool2,pca:auto,u8. Each option's bytes per frame
            and added sender/receiver times come from the profiles (edgec profile
            --transfer-layers measures them; ScissionTL's imported transfer_layer is
            pool2). A cut where an option was not measured is not offered with it;
            --min-fidelity F also drops options whose measured fidelity (top-1
            agreement, or 1 - mean relative error) is below F. Configurations that cross
            no cut (all on the device; the input sent on) are ranked once, with no TL.

            Examples:
              edgec partition --profiles p/ --network net.csv --model densenet169 --chain device,edge --transfer-layers none,pool2
              edgec partition --profiles profiles/ --network net.csv --model vgg19 -d "!-1" -e 10 -c 16
              edgec partition --profiles p/ --network net.csv --model m --chain device,gateway,edge,cloud --json
            Exit codes: 0 results found; 13 no configuration satisfies the constraints
            (the message says which constraints block it); 2 bad arguments; 3 unreadable
            file; 4 malformed profile or network file.
            """)

    @Option(name: .customLong("profiles"), parsing: .upToNextOption, help: ArgumentHelp("Profile files, or directories of them.", valueName: "DIR|FILE"))
    var profiles: [String]

    @Option(help: "Network file (Scission's CSV).")
    var network: String

    @Option(help: "Model name, as in the profiles.")
    var model: String

    @Option(name: [.customShort("d"), .customLong("device")], help: "Device criteria.")
    var device: String?
    @Option(name: [.customShort("e"), .customLong("edge")], help: "Edge criteria.")
    var edge: String?
    @Option(name: [.customShort("c"), .customLong("cloud")], help: "Cloud criteria.")
    var cloud: String?
    @Option(name: .customLong("criteria"), help: ArgumentHelp("Criteria for any tier of the chain (repeatable).", valueName: "TIER=CRIT"))
    var criteria: [String] = []

    @Option(name: .customLong("input-mb"), help: "Input size in MB (default: the profile's input_bytes, else 0.15 as in Scission).")
    var inputMB: Double?

    @Option(name: .customLong("device-upload"), help: ArgumentHelp("Cap on what the device sends, MB.", valueName: "MB"))
    var deviceUpload: String?
    @Option(name: .customLong("edge-upload"), help: ArgumentHelp("Cap on what the edge sends, MB.", valueName: "MB"))
    var edgeUpload: String?
    @Option(name: .customLong("upload"), help: ArgumentHelp("Upload cap for any tier (repeatable).", valueName: "TIER=MB"))
    var upload: [String] = []

    @Option(name: .customLong("device-time"), help: ArgumentHelp("Device compute cap.", valueName: "S|P%"))
    var deviceTime: String?
    @Option(name: .customLong("edge-time"), help: ArgumentHelp("Edge compute cap.", valueName: "S|P%"))
    var edgeTime: String?
    @Option(name: .customLong("cloud-time"), help: ArgumentHelp("Cloud compute cap.", valueName: "S|P%"))
    var cloudTime: String?
    @Option(name: .customLong("time"), help: ArgumentHelp("Compute cap for any tier (repeatable).", valueName: "TIER=S|P%"))
    var time: [String] = []

    @Option(help: ArgumentHelp("Tiers in order, e.g. device,gateway,edge,cloud.", valueName: "TIERS"))
    var chain: String = "device,edge,cloud"

    @Option(name: .customLong("memory"), help: ArgumentHelp("A system's memory for model slices, MB (repeatable; overrides the profile).", valueName: "SYSTEM=MB"))
    var memory: [String] = []

    @Option(help: "latency (one input end to end) or throughput (pipelined stream: slowest stage).")
    var objective: String = "latency"

    @Option(name: .customLong("transfer-layers"), help: ArgumentHelp("Transfer options to rank at every cut, e.g. none,pool2,pca:auto,u8.", valueName: "LIST"))
    var transferLayers: String?

    @Option(name: .customLong("min-fidelity"), help: ArgumentHelp("With --transfer-layers: the lowest measured fidelity an option may have at a cut (0-1).", valueName: "F"))
    var minFidelity: Double?

    @Option(help: "How many configurations to print.")
    var top: Int = 5

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: ArgumentHelp("Write an SVG chart of the best configurations.", valueName: "FILE.svg"))
    var chart: String?

    static let maxTop = 10_000

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be positive") }
        // The search keeps about 2 x top configurations per block: a bound, not a trap.
        guard top <= Self.maxTop else { throw ValidationError("--top must be at most \(Self.maxTop), got \(top)") }
        guard Objective(rawValue: objective) != nil else { throw ValidationError("--objective must be latency or throughput") }
        if let f = minFidelity {
            guard transferLayers != nil else { throw ValidationError("--min-fidelity needs --transfer-layers") }
            guard f.isFinite, f >= 0, f <= 1 else { throw ValidationError("--min-fidelity must be in [0, 1]") }
        }
    }

    func run() throws {
        try failing {
            var o = PartitionOptions()
            o.profiles = profiles
            o.network = network
            o.model = model
            o.chain = try PartitionOptions.parseChain(chain)
            o.inputMB = inputMB
            o.objective = Objective(rawValue: objective)!
            for (tier, value) in [("device", device), ("edge", edge), ("cloud", cloud)] { if let value { o.criteria[tier] = value } }
            for (tier, value) in [("device", deviceUpload), ("edge", edgeUpload)] { if let value { o.uploadMB[tier] = value } }
            for (tier, value) in [("device", deviceTime), ("edge", edgeTime), ("cloud", cloudTime)] { if let value { o.time[tier] = value } }
            for a in criteria { let (k, v) = try splitAssignment(a, "--criteria"); o.criteria[k] = v }
            for a in upload { let (k, v) = try splitAssignment(a, "--upload"); o.uploadMB[k] = v }
            for a in time { let (k, v) = try splitAssignment(a, "--time"); o.time[k] = v }
            for a in memory { let (k, v) = try splitAssignment(a, "--memory"); o.memoryMB[k] = v }

            if let t = transferLayers { o.transferLayers = try TransferOption.parseList(t) }
            o.minFidelity = minFidelity
            let problem = try o.makeProblem(transfer: o.transferLayers.first)
            let t0 = DispatchTime.now().uptimeNanoseconds
            let results = o.transferLayers.isEmpty ? try PartitionSearch(problem, objective: o.objective).best(top)
                                                   : try TransferRanking(options: o).best(top)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            if results.isEmpty {
                if json { print(jsonString(PlanReport.json([], problem: problem, objective: o.objective))) }
                FileHandle.standardError.write(("edgec: " + problem.explainEmpty(objective: o.objective) + "\n").data(using: .utf8)!)
                throw ExitCode(13)
            }
            if let chart {
                let svg = PlanChart(problem: problem, results: results, objective: o.objective).svg()
                guard FileManager.default.createFile(atPath: chart, contents: svg.data(using: .utf8)) else {
                    throw EdgeError(.io, "cannot write chart '\(chart)'")
                }
            }
            if json {
                var j = PlanReport.json(results, problem: problem, objective: o.objective)
                j["search_ms"] = ms
                print(jsonString(j))
                return
            }
            let counts = problem.tiers.indices.map { "\(problem.systems(ofTier: $0).count) \(problem.tiers[$0].tier)" }
            print("[+] \(problem.systems.count) systems loaded : " + counts.joined(separator: ", "))
            print("[+] \(problem.model) results (\(problem.blockCount) blocks, \(o.objective.rawValue), searched in \(String(format: "%.1f", ms)) ms)")
            for line in PlanReport.textLines(results, objective: o.objective) { print(line) }
            if let chart { print("[+] Chart written: \(chart)") }
        }
    }
}
