import EdgeTestSupport
import Foundation
import XCTest

/// The fuzz harness itself: a runner that traps (EDGE_FUZZ_TRAP_AT, a debug hook of
/// edge-fuzz) must come back as exactly one crash, with the input saved and replayable,
/// and the rest of the loop run in a fresh child.
final class FuzzHarnessTests: XCTestCase {
    func testATrapIsOneCrashWithItsInputSavedAndTheLoopGoesOn() throws {
        let dir = try TestPaths.temporaryDirectory("fuzz-harness")
        defer { try? FileManager.default.removeItem(at: dir) }
        var campaign = FuzzCampaign("onnx-random", seed: 5, iterations: 20)
        campaign.crashDirectory = dir
        campaign.environment = ["EDGE_FUZZ_TRAP_AT": "7"]
        let report = try campaign.run()

        XCTAssertEqual(report.crashes.map(\.index), [7], "\(report.crashes)")
        let crash = try XCTUnwrap(report.crashes.first)
        XCTAssertTrue(crash.how.hasPrefix("signal"), crash.how)
        XCTAssertTrue(crash.stderrTail.contains("deliberate trap"), crash.stderrTail)
        let input = try XCTUnwrap(crash.input, crash.description)
        XCTAssertEqual(input.deletingLastPathComponent().standardizedFileURL.path, dir.standardizedFileURL.path)
        let saved = try Data(contentsOf: input)
        XCTAssertFalse(saved.isEmpty)
        XCTAssertTrue(crash.description.contains(input.path), crash.description)
        // Iterations 8..<20 ran in the restarted child; 0..<7 died with the first.
        XCTAssertEqual(report["iterations"], 12, "\(report.counts)")
        XCTAssertEqual(report["format"], 12, "\(report.counts)")
        XCTAssertEqual(report.notRun, 0)

        // The saved input is iteration 7's: the same bytes again, and it replays.
        let runner = try CommandRunner.requireProduct("edge-fuzz")
        let again = dir.appendingPathComponent("again.bin")
        let w = try CommandRunner.run(runner, ["onnx-random", "--seed", "5", "--from", "7", "--write-input", again.path])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertEqual(try Data(contentsOf: again), saved)
        let replay = try CommandRunner.run(runner, ["onnx-random", "--replay", input.path])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(replay.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "format")
    }

    func testWithoutATrapThereIsNoCrash() throws {
        let report = try FuzzCampaign("onnx-random", seed: 5, iterations: 20).run()
        XCTAssertTrue(report.crashes.isEmpty, "\(report.crashes)")
        XCTAssertEqual(report["iterations"], 20)
        XCTAssertEqual(report["format"], 20)
    }

    func testBadRunnerArgumentsAreAHarnessErrorNotACrash() throws {
        let runner = try CommandRunner.requireProduct("edge-fuzz")
        for args in [["nope"], ["onnx-random", "--count", "-1"], ["onnx-random", "--bogus", "1"], ["edgm"]] {
            let r = try CommandRunner.run(runner, args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.exited)
        }
    }
}
