import EdgePlanner
import Foundation
import XCTest

/// `edgec partition` on Scission's published data must print what scission_predict.py
/// printed (Tests/Fixtures/scission/predictions.json, from Tools/make_scission_fixtures.py):
/// the same configurations in the same order, times and MB to the 4 printed decimals.
final class ScissionCompatibilityTests: XCTestCase {
    struct Fixture {
        var query: [String]
        var network: String
        var lines: [String]
        var noResults: Bool
    }

    static func fixtures() throws -> [Fixture] {
        let url = PlannerTestSupport.fixtures.appendingPathComponent("scission/predictions.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (json["queries"] as! [[String: Any]]).map {
            Fixture(query: $0["query"] as! [String], network: $0["network"] as! String,
                    lines: $0["lines"] as! [String], noResults: $0["no_results"] as! Bool)
        }
    }

    func testEveryRecordedQueryRanksAsScissionDid() throws {
        let profiles = try PlannerTestSupport.imported(PlannerTestSupport.scissionData)
        let fixtures = try Self.fixtures()
        XCTAssertGreaterThanOrEqual(fixtures.count, 25)
        XCTAssertEqual(fixtures.first?.query, ["vgg19", "-d", "!-1", "-e", "10", "-c", "16"], "the README example comes first")
        for f in fixtures {
            let q = try ScissionQuery(f.query, profiles: profiles, network: profiles.appendingPathComponent(f.network))
            let problem = try q.options.makeProblem()
            let results = try PartitionSearch(problem).best(q.top)
            let lines = PlanReport.textLines(results, objective: .latency)
            if f.noResults {
                XCTAssertTrue(results.isEmpty, "\(f.query): Scission found nothing, we found \(lines)")
            } else {
                XCTAssertEqual(lines, f.lines, "query \(f.query.joined(separator: " "))")
            }
            // The exhaustive search (Scission's own method) agrees with the DP.
            let exhaustive = PlanReport.textLines(ExhaustiveSearch(problem).best(q.top), objective: .latency)
            XCTAssertEqual(lines, exhaustive, "DP vs exhaustive on \(f.query)")
        }
    }

    /// The README example through the command line, and a few more through its options.
    func testCommandLinePrintsScissionsLines() throws {
        let profiles = try PlannerTestSupport.imported(PlannerTestSupport.scissionData)
        for f in try Self.fixtures().prefix(12) where !f.noResults {
            let q = try ScissionQuery(f.query, profiles: profiles, network: profiles.appendingPathComponent(f.network))
            let r = try PlannerTestSupport.edgec(q.edgecArguments)
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("[") && !$0.hasPrefix("[+]") }
            XCTAssertEqual(lines, f.lines, "edgec \(q.edgecArguments.joined(separator: " "))")
        }
        // Scission's own spelling of the README query.
        let r = try PlannerTestSupport.edgec(["partition", "--profiles", profiles.path, "--network", profiles.appendingPathComponent("network_stats.csv").path,
                                              "--model", "vgg19", "-d", "!-1", "-e", "10", "-c", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("[1] 9.0106s - 2.4087MB - Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 11, Cloud(6700k(GPU)) = 12 - 25\n"), r.stdout)
    }

    func testJsonOutputFollowsTheIssuesSchema() throws {
        let profiles = try PlannerTestSupport.imported(PlannerTestSupport.scissionData)
        let r = try PlannerTestSupport.edgec(["partition", "--profiles", profiles.path, "--network", profiles.appendingPathComponent("network_stats.csv").path,
                                              "--model", "vgg19", "-d", "!-1", "-e", "10", "-c", "16", "--json", "--top", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let results = json["results"] as! [[String: Any]]
        XCTAssertEqual(results.count, 2)
        let first = results[0]
        XCTAssertEqual(first["rank"] as? Int, 1)
        XCTAssertEqual(first["config"] as? String, "Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 11, Cloud(6700k(GPU)) = 12 - 25")
        XCTAssertEqual(String(format: "%.4f", first["total_s"] as! Double), "9.0106")
        XCTAssertEqual(String(format: "%.4f", first["transfer_mb"] as! Double), "2.4087")
        let tiers = first["tiers"] as! [[String: Any]]
        XCTAssertEqual(tiers.map { $0["tier"] as! String }, ["device", "edge", "cloud"])
        XCTAssertEqual(tiers.map { $0["system"] as! String }, ["raspi4", "vm2Core", "6700k(GPU)"])
        XCTAssertEqual(tiers.map { $0["first_layer"] as! Int }, [0, 7, 12])
        XCTAssertEqual(tiers.map { $0["last_layer"] as! Int }, [6, 11, 25])
        let compute = tiers.map { $0["compute_s"] as! Double }.reduce(0, +)
        XCTAssertEqual(compute + (first["transfer_s"] as! Double), first["total_s"] as! Double, accuracy: 1e-12)
    }

    /// ScissionTL's data imports (Transfer Layer sizes kept) and partitions on a two-tier chain.
    func testScissionTLDataImportsAndPartitions() throws {
        let profiles = try PlannerTestSupport.imported(PlannerTestSupport.scissionTLData)
        let p = try SystemProfile.load(profiles.appendingPathComponent("ampere.json").path)
        XCTAssertEqual(p.tier, "edge")
        let vgg = try XCTUnwrap(p.model(named: "vgg19"))
        XCTAssertEqual(vgg.blocks.count, 25)
        XCTAssertEqual(vgg.blocks[0].transferLayer?.outputBytes, 3211392)
        XCTAssertNil(vgg.blocks[24].transferLayer, "ScissionTL marks blocks without a Transfer Layer with -1 times")
        var o = PartitionOptions()
        o.profiles = [profiles.path]
        o.network = profiles.appendingPathComponent("network_stats.csv").path
        o.model = "densenet169"
        o.chain = ["device", "edge"]
        let results = try PartitionSearch(try o.makeProblem()).best(5)
        XCTAssertEqual(results.count, 5)
        XCTAssertTrue(results[0].text.hasPrefix("Device(tx2_gpu)"))
        XCTAssertEqual(PlanReport.textLines(results, objective: .latency), PlanReport.textLines(ExhaustiveSearch(try o.makeProblem()).best(5), objective: .latency))
    }
}
