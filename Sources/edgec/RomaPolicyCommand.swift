import ArgumentParser
import EdgeClient
import EdgeFormat
import EdgeRomaEval
import EdgeWire
import Foundation

struct RomaPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roma", abstract: "Make the agent pick among a detector family with ROMA (run-time accuracy model).",
        discussion: """
            Sends a signed SetRomaPolicy with the detectors' offline profiles (AP50, recall and
            beta per object-size bin, latency) from the family's manifest.json
            (Tests/Fixtures/detectors). The detectors must be installed on the agent as signed
            variants named like the manifest's detectors (`edgec sign --name det64-w8 ...`).
            The agent then decodes every output the served detector produces, estimates each
            detector's streaming AP50 from the detected object sizes and motion and its own
            measured run times, and hot-swaps (with hysteresis). `edgec status` shows the
            estimates. --off removes the policy. The policy lives in memory (set it again
            after the agent restarts).
            """)
    @Argument(help: "The detectors' manifest.json.") var manifest: String?
    @Option(help: "Frame rate of the stream the agent is fed (frames per second).") var fps: Double = 30
    @Flag(help: "Remove the ROMA policy.") var off = false
    @OptionGroup var agent: AgentOptions
    @OptionGroup var key: KeyOption

    func run() throws {
        try agentFailing {
            var spec = RomaPolicySpec.off
            if !off {
                guard let path = manifest else { throw EdgeError(.invalidArgument, "give the detectors' manifest.json, or --off") }
                guard fps > 0, fps <= 10_000 else { throw EdgeError(.invalidArgument, "--fps must be in (0, 10000]") }
                spec = try DetectorFamily(manifest: path).romaPolicy(frameIntervalMs: 1000 / fps)
            }
            print(try AgentClient(address: agent.address).command(.roma(spec), key: try key.secret()))
        }
    }
}
