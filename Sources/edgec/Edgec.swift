import ArgumentParser
import Foundation

@main
struct Edgec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgec",
        abstract: "Compile ONNX models to .edgm and run, inspect and benchmark them.",
        discussion: """
            Typical use:
              edgec compile model.onnx -o model.edgm --shape input=1x3x224x224
              edgec inspect model.edgm
              edgec run model.edgm --input input=image.npy --output-dir out/
              edgec bench model.edgm --iterations 50

            Exit codes: 0 success; 2 bad command-line arguments or inputs; 3 file could not
            be read or written; 4 malformed .onnx/.edgm/.npy; 5 unsupported operator or
            feature; 6 shapes that do not agree; 7 outputs differ from --expect references;
            8 the device agent refused (reason printed); 9 the agent or broker could not be
            reached; 10 a fleet rollout halted at its canaries, 11 it timed out, 12 devices failed
            after the full rollout; 13 no partition satisfies the constraints; 1 anything else.
            """,
        subcommands: [CompileCommand.self, RunCommand.self, InspectCommand.self, BenchCommand.self, PortfolioCommand.self, PruneCommand.self, RomaEvalCommand.self,
                      ProfileCommand.self, PartitionCommand.self,
                      KeygenCommand.self, SignCommand.self, PushCommand.self, ActivateCommand.self, RollbackCommand.self,
                      StatusCommand.self, InferCommand.self, LoadgenCommand.self, PolicyCommand.self, SplitCommand.self,
                      DeployCommand.self, FleetCommand.self]
    )

    /// ArgumentParser's own usage errors (an unparsable or missing value) exit with
    /// EX_USAGE (64); Edge's convention for bad arguments is 2, as in every other path.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
