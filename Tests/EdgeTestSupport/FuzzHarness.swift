import Foundation
import XCTest

/// A fuzz or mutation loop run in child processes (the edge-fuzz runner, built next to
/// the tests), so a trap in the code under test is one failed test that names and saves
/// the input, and the loop goes on after it, instead of the whole `swift test` run dying.
///
/// The runner writes each iteration's index to a progress file before running it; when
/// a child dies of a signal, runs past the time limit or leaves the progress file behind,
/// the harness has the runner write that iteration's input (every input is a pure
/// function of seed and index) into `crashDirectory`, and restarts after it.
public struct FuzzCampaign {
    public struct Source {
        public var path: String
        public var shapes: [String: [Int]]
        public init(path: String, shapes: [String: [Int]] = [:]) {
            self.path = path
            self.shapes = shapes
        }
    }

    public struct Crash: CustomStringConvertible {
        public var index: Int
        /// "signal 4", "exit 134", "no result in 600 s".
        public var how: String
        /// The input that did it (nil when even writing it failed; `why` says so).
        public var input: URL?
        public var reproduce: String
        public var stderrTail: String

        public var description: String {
            "iteration \(index) crashed the runner (\(how)); input \(input?.path ?? "not saved"); reproduce: \(reproduce)"
                + (stderrTail.isEmpty ? "" : "; stderr: \(stderrTail)")
        }
    }

    public struct Report {
        /// Outcome counts summed over the children that finished their slice.
        public var counts: [String: Int] = [:]
        public var crashes: [Crash] = []
        /// Iterations never run: the time limit or the crash limit stopped the loop.
        public var notRun = 0

        public subscript(_ outcome: String) -> Int { counts[outcome, default: 0] }
    }

    public var campaign: String
    public var sources: [Source]
    public var seed: UInt64
    public var iterations: Int
    /// For the whole loop, restarts included.
    public var timeLimit: TimeInterval = 900
    /// After this many crashes the rest is left (reported as notRun).
    public var maxCrashes = 3
    /// Where crashing inputs are kept: EDGE_FUZZ_OUT, else out/fuzz-crashes in the repository.
    public var crashDirectory = ProcessInfo.processInfo.environment["EDGE_FUZZ_OUT"].map { URL(fileURLWithPath: $0) }
        ?? TestPaths.repoRoot.appendingPathComponent("out/fuzz-crashes")
    /// Added to the children's environment.
    public var environment: [String: String] = [:]

    public init(_ campaign: String, sources: [Source] = [], seed: UInt64, iterations: Int) {
        self.campaign = campaign
        self.sources = sources
        self.seed = seed
        self.iterations = iterations
    }

    /// Runs every iteration (skips the test when the runner is not built).
    public func run() throws -> Report {
        let runner = try CommandRunner.requireProduct("edge-fuzz")
        let work = try TestPaths.temporaryDirectory("fuzz-\(campaign)")
        defer { try? FileManager.default.removeItem(at: work) }
        let sourcesFile = work.appendingPathComponent("sources.json")
        let list: [[String: Any]] = sources.map { ["path": $0.path, "shapes": $0.shapes] }
        try JSONSerialization.data(withJSONObject: list).write(to: sourcesFile)
        let progress = work.appendingPathComponent("progress")
        let common = ["--sources", sourcesFile.path, "--seed", "\(seed)"]
        // No backtracer in the children: symbolicating a deliberate crash takes seconds.
        let env = environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { mine, _ in mine }
        let deadline = Date().addingTimeInterval(timeLimit)

        var report = Report()
        var from = 0
        while from < iterations {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 1, report.crashes.count < maxCrashes else { break }
            try? FileManager.default.removeItem(at: progress)
            let args = [campaign] + common + ["--from", "\(from)", "--count", "\(iterations - from)", "--progress", progress.path]
            var how: String
            var stderrTail = ""
            do {
                let r = try CommandRunner.run(runner, args, environment: env, timeout: remaining)
                if r.exited && r.status == 0 {
                    guard let line = r.stdout.split(separator: "\n").last,
                          let counts = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Int] else {
                        throw TestFailure(message: "edge-fuzz \(campaign) printed no counts: \(r.stdout)")
                    }
                    report.counts.merge(counts, uniquingKeysWith: +)
                    from = iterations
                    break
                }
                if r.exited && r.status == 2 { throw TestFailure(message: "edge-fuzz \(args.joined(separator: " ")): \(r.stderr)") }
                how = r.exited ? "exit \(r.status)" : "signal \(r.status)"
                // The runtime's own "Fatal error: ..." line says most; else the last words.
                stderrTail = r.stderr.split(separator: "\n").first { $0.contains("Fatal error") }.map(String.init)
                    ?? String(r.stderr.suffix(400)).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch let e as TestFailure where e.message.contains("did not finish") {
                how = "no result in \(Int(remaining)) s"
            }
            guard let text = try? String(contentsOf: progress, encoding: .utf8),
                  let index = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestFailure(message: "edge-fuzz \(campaign) died (\(how)) before its first iteration: \(stderrTail)")
            }
            report.crashes.append(try save(index, how: how, stderrTail: stderrTail, runner: runner, sourcesFile: sourcesFile))
            from = index + 1
        }
        report.notRun = iterations - from
        return report
    }

    /// Writes iteration `index`'s input (and the sources list, for the replay) to the
    /// crash directory.
    func save(_ index: Int, how: String, stderrTail: String, runner: URL, sourcesFile: URL) throws -> Crash {
        try FileManager.default.createDirectory(at: crashDirectory, withIntermediateDirectories: true)
        let stem = "\(campaign)-seed\(seed)-\(index)"
        let input = crashDirectory.appendingPathComponent(stem + ".bin")
        let sources = crashDirectory.appendingPathComponent(stem + ".sources.json")
        try? FileManager.default.removeItem(at: sources)
        try FileManager.default.copyItem(at: sourcesFile, to: sources)
        let w = try CommandRunner.run(runner, [campaign, "--sources", sources.path, "--seed", "\(seed)",
                                               "--from", "\(index)", "--write-input", input.path], timeout: 300)
        let saved = w.exited && w.status == 0
        return Crash(index: index, how: how, input: saved ? input : nil,
                     reproduce: "\(runner.path) \(campaign) --sources \(sources.path) --index \(index) --replay \(input.path)",
                     stderrTail: saved ? stderrTail : "writing the input failed: \(w.stderr) " + stderrTail)
    }
}

extension FuzzCampaign.Report {
    /// One test failure per crash, naming its saved input; and one if the loop was cut short.
    public func assertNoCrashes(_ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for c in crashes { XCTFail("\(what): \(c)", file: file, line: line) }
        if notRun > 0 { XCTFail("\(what): \(notRun) iterations not run (time or crash limit)", file: file, line: line) }
    }
}
