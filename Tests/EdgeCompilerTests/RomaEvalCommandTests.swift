import EdgeTestSupport
import Foundation
import XCTest

/// `edgec roma-eval` as a user meets it: JSON fields, exit codes on bad input.
extension CommandLineTests {
    var romaManifest: String { FixtureCase.root.appendingPathComponent("detectors/manifest.json").path }
    var romaTiny: String { FixtureCase.root.appendingPathComponent("roma/tiny").path }

    func testRomaEvalJSON() throws {
        let r = try edgec(["roma-eval", "--detectors", romaManifest, "--scenario", romaTiny, "--policy", "fixed:det64-w8", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["sap50", "map", "switches", "per_segment"] { XCTAssertNotNil(doc[key], key) }
        XCTAssertEqual(doc["switches"] as? Int, 0)
        XCTAssertEqual((doc["per_segment"] as? [[String: Any]])?.count, 2)
    }

    func testRomaEvalBadInputs() throws {
        let cases: [([String], Int32)] = [
            (["--scenario", path("missing"), "--policy", "roma"], 3),
            (["--scenario", romaTiny, "--policy", "best"], 2),
            (["--scenario", romaTiny, "--policy", "fixed:nope"], 2),
            // realtime mode exists now: its own bad arguments are refused before any frame runs
            (["--scenario", romaTiny, "--policy", "roma", "--mode", "realtime", "--speedup", "0"], 2),
            (["--scenario", romaTiny, "--policy", "roma", "--mode", "sometimes"], 2),
            (["--scenario", romaTiny, "--policy", "roma", "--latency-scale=0"], 2),
        ]
        for (args, code) in cases {
            let r = try edgec(["roma-eval", "--detectors", romaManifest] + args)
            XCTAssertEqual(r.status, code, "\(args): \(r.stderr)")
        }
        try Data("{\"format\": \"roma-scenario\"}".utf8).write(to: temp.appendingPathComponent("ground_truth.json"))
        let bad = try edgec(["roma-eval", "--detectors", romaManifest, "--scenario", temp.path, "--policy", "roma"])
        XCTAssertEqual(bad.status, 4, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("not a roma-scenario"), bad.stderr)
    }
}
