import EdgePlanner
import EdgeTestSupport
import Foundation
import XCTest

enum PlannerTestSupport {
    static let repoRoot = TestPaths.repoRoot
    static let fixtures = TestPaths.fixtures
    /// Scission's published data lives beside the repository (../shared/data), never in it;
    /// EDGE_SHARED_DATA points elsewhere (a worktree whose parent has no shared/).
    static let sharedData = ProcessInfo.processInfo.environment["EDGE_SHARED_DATA"].map { URL(fileURLWithPath: $0) }
        ?? repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    static let scissionData = sharedData.appendingPathComponent("scission/benchmark_data")
    static let scissionTLData = sharedData.appendingPathComponent("scissiontl/benchmark_data")

    /// Skips (with the reason) only when ../shared/data is absent altogether; a present
    /// but incomplete data directory fails.
    static func requireData(_ dir: URL) throws {
        guard FileManager.default.fileExists(atPath: sharedData.path) else {
            throw XCTSkip("Scission's published data is not at \(sharedData.path) (../shared/data beside the repository, or EDGE_SHARED_DATA); CI always has it")
        }
        guard FileManager.default.fileExists(atPath: dir.path) else {
            XCTFail("\(dir.path) is missing from ../shared/data")
            throw XCTSkip("data missing")
        }
    }

    static var cache: [String: URL] = [:]

    /// Converts a Scission benchmark directory with Tools/import_scission.py (once per run).
    static func imported(_ dir: URL) throws -> URL {
        try requireData(dir)
        if let u = cache[dir.path] { return u }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("edge-scission-\(getpid())-\(cache.count)")
        let r = try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", repoRoot.appendingPathComponent("Tools/import_scission.py").path, dir.path, "-o", out.path])
        guard r.status == 0 else {
            XCTFail("Tools/import_scission.py failed (\(r.status)): \(r.stderr)")
            throw XCTSkip("import failed")
        }
        cache[dir.path] = out
        return out
    }

    static func run(_ exe: URL, _ args: [String]) throws -> CommandOutcome { try CommandRunner.run(exe, args) }

    static func edgec(_ args: [String]) throws -> CommandOutcome { try CommandRunner.edgec(args) }

    static func tempDir(_ tag: String) throws -> URL { try TestPaths.temporaryDirectory(tag) }
}

/// Scission's command line (after the data and network arguments) as PartitionOptions.
struct ScissionQuery {
    var options = PartitionOptions()
    var top = 5

    init(_ args: [String], profiles: URL, network: URL) throws {
        options.profiles = [profiles.path]
        options.network = network.path
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw NSError(domain: "query", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(args[i - 1]) needs a value"]) }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "-d": options.criteria["device"] = try value()
            case "-e": options.criteria["edge"] = try value()
            case "-c": options.criteria["cloud"] = try value()
            case "-i": options.inputMB = Double(try value())
            case "--device-upload": options.uploadMB["device"] = try value()
            case "--edge-upload": options.uploadMB["edge"] = try value()
            case "--device-time": options.time["device"] = try value()
            case "--edge-time": options.time["edge"] = try value()
            case "--cloud-time": options.time["cloud"] = try value()
            case "--result-count": top = Int(try value())!
            case "--network": _ = try value()  // the fixture's "network" field says which file
            case let a where a.hasPrefix("--device="): options.criteria["device"] = String(a.dropFirst(9))
            case let a where a.hasPrefix("--edge="): options.criteria["edge"] = String(a.dropFirst(7))
            case let a where a.hasPrefix("--cloud="): options.criteria["cloud"] = String(a.dropFirst(8))
            case let a where !a.hasPrefix("-") && options.model.isEmpty: options.model = a
            default: throw NSError(domain: "query", code: 2, userInfo: [NSLocalizedDescriptionKey: "unknown Scission argument \(args[i])"])
            }
            i += 1
        }
    }

    /// The equivalent edgec partition arguments.
    var edgecArguments: [String] {
        var a = ["partition", "--profiles"] + options.profiles + ["--network", options.network, "--model", options.model, "--top", "\(top)"]
        for (t, c) in options.criteria.sorted(by: { $0.key < $1.key }) { a.append("--criteria=\(t)=\(c)") }
        for (t, u) in options.uploadMB.sorted(by: { $0.key < $1.key }) { a.append("--upload=\(t)=\(u)") }
        for (t, s) in options.time.sorted(by: { $0.key < $1.key }) { a.append("--time=\(t)=\(s)") }
        if let i = options.inputMB { a.append("--input-mb=\(i)") }
        return a
    }
}
