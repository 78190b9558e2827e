import ArgumentParser
import EdgeChain
import EdgeFormat
import EdgeTrust
import Foundation

struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Run a split model across agents: push each slice (signed) to its agent and chain them.",
        discussion: """
            Slice i goes to the i-th agent of --chain, is activated there, and every agent but
            the last is told (a signed forward command) to send its slice's output to the next
            agent, encoded as the split directory says (f32/f16/u8, zlib). Then
            `edgec infer --to FIRST --input ...` returns the last slice's output; the reply
            lists every hop's compute time and bytes (--json).

            Two slices: one directory from `edgec split`. Three or more: split the previous
            directory's tail.edgm again and list the directories in order, e.g.
              edgec split m.edgm --at 1 -o d1
              edgec split d1/tail.edgm --at 2 -o d2
              edgec deploy d1 d2 --chain A:7000,B:7000,C:7000 --key ops.key
            gives d1/head on A, d2/head on B and d2/tail on C.

            Variants are named NAME-s0, NAME-s1, ... (--name, default: the first directory's
            name); --version must rise from one deploy to the next (default: the wall clock
            in milliseconds). Forwarding is held in memory by each agent: deploy again after
            an agent restarts. Exit codes: 0 ok, 2 bad arguments, 3 I/O, 4 malformed split,
            6 slices that do not fit together, 8 an agent refused, 9 an agent unreachable.
            """)

    @Argument(help: ArgumentHelp("Split directories (from edgec split), in chain order.", valueName: "DIR"))
    var dirs: [String] = []
    @Option(help: ArgumentHelp("The agents, one per slice, first slice first.", valueName: "HOST:PORT,HOST:PORT[,...]"))
    var chain: String
    @Option(help: ArgumentHelp("Addresses the previous agent uses to reach each agent, when they differ from --chain (same count).",
                               valueName: "HOST:PORT,..."))
    var forwardVia: String?
    @Option(help: ArgumentHelp("Secret key that signs the slices and the commands.", valueName: "K.key")) var key: String
    @Option(help: "Variant name prefix (slices are NAME-s0, NAME-s1, ...).") var name: String?
    @Option(help: "Artifact version (above the one installed under these names).") var version: UInt64?
    @Option(help: "Deadline of each agent for its next hop, in ms (1..120000).") var timeoutMs: UInt32 = 10_000
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        try agentFailing {
            guard timeoutMs >= 1, timeoutMs <= 120_000 else { throw EdgeError(.invalidArgument, "--timeout-ms must be 1..120000") }
            let agents = chain.split(separator: ",").map(String.init)
            let plan = try ChainPlan.load(splitDirs: dirs)
            let base = name ?? URL(fileURLWithPath: dirs.first ?? "split").standardizedFileURL.lastPathComponent
            var d = ChainDeploy(chain: agents, forwardVia: forwardVia.map { $0.split(separator: ",").map(String.init) }, name: base,
                                version: version ?? UInt64(Date().timeIntervalSince1970 * 1000))
            d.timeoutMs = timeoutMs
            let hops = try d.deploy(plan, key: try KeyFile.readSecret(key), progress: json ? nil : { print($0) })
            if json {
                print(jsonString(["version": d.version, "hops": hops.map { h -> [String: Any] in
                    var o: [String: Any] = ["agent": h.address, "variant": h.variant, "artifact_bytes": h.artifactBytes]
                    if let l = h.link {
                        o["forward_to"] = h.forwardTo
                        o["transfer"] = ["encoding": "\(l.encoding)", "zlib": l.zlib, "shape": l.shape] as [String: Any]
                    }
                    return o
                }]))
            } else {
                print("deployed \(hops.count) slices: " + hops.map { "\($0.variant)@\($0.address)" }.joined(separator: " -> "))
            }
        }
    }
}
