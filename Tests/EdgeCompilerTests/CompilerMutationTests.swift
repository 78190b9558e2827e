import EdgeTestSupport
import Foundation
import XCTest

/// Seeded byte mutations of the operator fixtures' ONNX files through the whole compiler
/// (and, when they compile, the runtime): a hostile or corrupt model must end in an
/// error, never a trap (overflowing shape arithmetic, out-of-range indices, ...). The
/// loop runs in edge-fuzz child processes (campaign "compile"): a trap is one failure
/// naming the mutant, saved under out/fuzz-crashes with the command that replays it.
final class CompilerMutationTests: XCTestCase {
    func testMutatedModelsNeverCrashTheCompiler() throws {
        // EDGE_MUTATIONS / EDGE_MUTATION_SEED run longer or other campaigns by hand.
        let environment = ProcessInfo.processInfo.environment
        let iterations = Int(environment["EDGE_MUTATIONS"] ?? "") ?? 1500
        let seed = UInt64(environment["EDGE_MUTATION_SEED"] ?? "") ?? 0xEDCE
        let sources = try FixtureCase.all(in: "ops").map { FuzzCampaign.Source(path: $0.modelPath, shapes: $0.runs.first?.shapes ?? [:]) }
        var campaign = FuzzCampaign("compile", sources: sources, seed: seed, iterations: iterations)
        campaign.timeLimit = max(900, Double(iterations) * 0.5)
        let report = try campaign.run()
        report.assertNoCrashes("compiler mutations")
        XCTAssertGreaterThan(report["compiled"], 0)
    }
}
