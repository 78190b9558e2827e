import ArgumentParser

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
            8 the device agent refused (reason printed); 9 the agent could not be reached;
            1 anything else.
            """,
        subcommands: [CompileCommand.self, RunCommand.self, InspectCommand.self, BenchCommand.self, PortfolioCommand.self,
                      KeygenCommand.self, SignCommand.self, PushCommand.self, ActivateCommand.self, RollbackCommand.self,
                      StatusCommand.self, InferCommand.self, LoadgenCommand.self, PolicyCommand.self, FleetCommand.self]
    )
}
