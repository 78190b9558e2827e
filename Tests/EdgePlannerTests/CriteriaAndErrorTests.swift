import EdgeFormat
import EdgePlanner
import EdgeTestSupport
import Foundation
import XCTest

/// Scission's criteria language and the clear errors for what it cannot mean.
final class CriteriaAndErrorTests: XCTestCase {
    func testCriteriaForms() throws {
        let c = try TierCriteria(parsing: "3, !10,device1,!device2,!-1", tier: "device")
        XCTAssertEqual(c.mustLayers, [3])
        XCTAssertEqual(c.mustNotLayers, [10])
        XCTAssertEqual(c.onlySystems, ["device1"])
        XCTAssertEqual(c.excludedSystems, ["device2"])
        XCTAssertTrue(c.mustBeUsed)
        XCTAssertFalse(c.mustBeUnused)
        XCTAssertTrue(try TierCriteria(parsing: "-1", tier: "edge").mustBeUnused)
        XCTAssertTrue(try TierCriteria(parsing: "!cloud1", tier: "cloud").mustBeUsed, "naming a system means the tier is used, as in Scission")
        XCTAssertEqual(try TimeCap(parsing: "40%", option: "--device-time"), .percent(40))
        XCTAssertEqual(try TimeCap(parsing: "0.25", option: "--device-time"), .seconds(0.25))
    }

    func expectError(_ kind: EdgeError.Kind, _ text: String, _ body: () throws -> Void, line: UInt = #line) {
        do {
            try body()
            XCTFail("no error; expected '\(text)'", line: line)
        } catch let e as EdgeError {
            XCTAssertEqual(e.kind, kind, e.message, line: line)
            XCTAssertTrue(e.message.contains(text), "'\(e.message)' lacks '\(text)'", line: line)
        } catch {
            XCTFail("\(error)", line: line)
        }
    }

    func testMalformedCriteria() {
        expectError(.invalidArgument, "empty item") { _ = try TierCriteria(parsing: "3,,4", tier: "device") }
        expectError(.invalidArgument, "empty item") { _ = try TierCriteria(parsing: "", tier: "device") }
        expectError(.invalidArgument, "'!' needs") { _ = try TierCriteria(parsing: "!", tier: "edge") }
        expectError(.invalidArgument, "neither a layer number") { _ = try TierCriteria(parsing: "-5", tier: "edge") }
        expectError(.invalidArgument, "neither a layer number") { _ = try TierCriteria(parsing: "!!3", tier: "edge") }
        expectError(.invalidArgument, "expected seconds") { _ = try TimeCap(parsing: "fast", option: "--edge-time") }
        expectError(.invalidArgument, "expected seconds") { _ = try TimeCap(parsing: "-1", option: "--edge-time") }
        expectError(.invalidArgument, "expected seconds") { _ = try TimeCap(parsing: "%", option: "--edge-time") }
    }

    func scissionOptions() throws -> PartitionOptions {
        let profiles = try PlannerTestSupport.imported(PlannerTestSupport.scissionData)
        var o = PartitionOptions()
        o.profiles = [profiles.path]
        o.network = profiles.appendingPathComponent("network_stats.csv").path
        o.model = "vgg19"
        return o
    }

    func testUnknownNamesAndLayers() throws {
        var o = try scissionOptions()
        o.criteria["edge"] = "vm3Core"
        expectError(.invalidArgument, "no edge system is called 'vm3Core' (the edge systems: 2500, vm2Core)") { _ = try o.makeProblem() }
        o.criteria = ["cloud": "99"]
        expectError(.invalidArgument, "has no layer 99 (its layers are 0-25)") { _ = try o.makeProblem() }
        o.criteria = [:]
        o.model = "vgg20"
        expectError(.invalidArgument, "has no profile of model 'vgg20'") { _ = try o.makeProblem() }
        o.model = "vgg19"
        o.chain = ["device", "fog", "cloud"]
        expectError(.invalidArgument, "no profile is of tier 'fog'") { _ = try o.makeProblem() }
        o.chain = ["device", "edge", "cloud"]
        o.uploadMB["cloud2"] = "1"
        expectError(.invalidArgument, "names tier 'cloud2', which is not in the chain") { _ = try o.makeProblem() }
    }

    /// Scission reads "2500" as a layer number even when a system is called 2500 (and so
    /// finds nothing, or ignores "!2500"); Edge reads a number that is no layer of the model
    /// but names a system of the tier as that system.
    func testNumericSystemNames() throws {
        var o = try scissionOptions()
        o.criteria["edge"] = "!2500"
        let p = try o.makeProblem()
        let best = try PartitionSearch(p).best(20)
        XCTAssertEqual(best.count, 20)
        XCTAssertTrue(best.allSatisfy { $0.text.contains("Edge(vm2Core)") }, "edge used, never 2500")
        o.criteria["edge"] = "2500"
        XCTAssertTrue(try PartitionSearch(try o.makeProblem()).best(20).allSatisfy { $0.text.contains("Edge(2500)") })
    }

    func testMissingNetworkRowIsNamed() throws {
        var o = try scissionOptions()
        let dir = try PlannerTestSupport.tempDir("net")
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try String(contentsOfFile: o.network, encoding: .utf8)
        let cut = csv.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").filter { !$0.hasPrefix("vm2Core,6700k(GPU)") }.joined(separator: "\n")
        let net = dir.appendingPathComponent("net.csv").path
        try cut.write(toFile: net, atomically: true, encoding: .utf8)
        o.network = net
        expectError(.invalidArgument, "no row for: vm2Core -> 6700k(GPU) (edge -> cloud)") { _ = try o.makeProblem() }
        // Not needed when that pair can never be used.
        o.criteria["edge"] = "!vm2Core"
        XCTAssertNoThrow(try o.makeProblem())
        try "source,destination\nraspi4,2500,abc,1\n".write(toFile: net, atomically: true, encoding: .utf8)
        o.criteria = [:]
        expectError(.format, "line 2: ping 'abc' is not a number") { _ = try o.makeProblem() }
    }

    func testEmptyResultsAreExplained() throws {
        var o = try scissionOptions()
        o.criteria["device"] = "-1,5"
        let p = try o.makeProblem()
        XCTAssertTrue(try PartitionSearch(p).best(5).isEmpty)
        let why = p.explainEmpty(objective: .latency)
        XCTAssertTrue(why.hasPrefix("no configuration of 'vgg19' satisfies: device criterion '-1'; device criterion '5'"), why)
        XCTAssertTrue(why.contains("without the device criterion '5': 0.8586s - Device(raspi4) = -1 - -1, Edge(None) = -1 - -1, Cloud(6700k(GPU)) = 0 - 25"), why)

        o.criteria = [:]
        o.uploadMB["device"] = "0.001"
        o.time["device"] = "0.0001"
        let q = try o.makeProblem()
        XCTAssertTrue(try PartitionSearch(q).best(1).isEmpty)
        let why2 = q.explainEmpty(objective: .latency)
        XCTAssertTrue(why2.contains("device upload cap 0.001MB; device time cap 0.0001"), why2)
        XCTAssertTrue(why2.contains("without the device time cap 0.0001: 2.7347s - Device(raspi4) = 0 - 25"), why2)

        let r = try PlannerTestSupport.edgec(["partition", "--profiles"] + o.profiles + ["--network", o.network, "--model", "vgg19", "--device=-1,5"])
        XCTAssertEqual(r.status, 13)
        XCTAssertTrue(r.stderr.contains("no configuration of 'vgg19' satisfies: device criterion '-1'; device criterion '5'"), r.stderr)
    }

    /// edgec partition's numeric options with values that break integer arithmetic:
    /// a clean exit (2 for bad values, 13 when nothing satisfies), never a trap.
    func testEveryNumericOptionOfPartitionFailsCleanly() throws {
        let o = try scissionOptions()
        let edgec = try CommandRunner.requireProduct("edgec")
        let base = ["partition", "--profiles"] + o.profiles + ["--network", o.network, "--model", "vgg19"]
        typealias Row = IntegerOptionSweep.Row
        let rows: [Row] = [
            Row(base + ["--top={V}"]),
            Row(base + ["--input-mb={V}"], floatingPoint: true),
            Row(base + ["--upload=device={V}"], floatingPoint: true),
            Row(base + ["--time=device={V}"], floatingPoint: true),
            // Criteria are block indices and may be negative (-1: the tier is not used).
            Row(base + ["--device={V}"], refusesNegative: false),
            Row(base + ["--device={V},5"], refusesNegative: false),
        ]
        let runs = try IntegerOptionSweep.check(rows, what: "edgec") { args in try CommandRunner.run(edgec, args, timeout: 120) }
        XCTAssertEqual(runs, 2 * 6 + 3 * 10 + 6)
    }

    func testCommandLineErrorsAndExitCodes() throws {
        let o = try scissionOptions()
        let base = ["partition", "--profiles"] + o.profiles + ["--network", o.network, "--model", "vgg19"]
        var r = try PlannerTestSupport.edgec(base + ["-d", "3,,4"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("device criteria '3,,4': empty item"), r.stderr)
        r = try PlannerTestSupport.edgec(base + ["-c", "6700k"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("no cloud system is called '6700k'"), r.stderr)
        r = try PlannerTestSupport.edgec(base + ["--edge-time", "soon"])
        XCTAssertEqual(r.status, 2)
        r = try PlannerTestSupport.edgec(["partition", "--profiles", "/nonexistent", "--network", o.network, "--model", "vgg19"])
        XCTAssertEqual(r.status, 3)
        r = try PlannerTestSupport.edgec(base + ["--objective", "speed"])
        XCTAssertNotEqual(r.status, 0)
    }
}
