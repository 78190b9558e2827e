import EdgeFormat
import EdgePlanner
import Foundation
import XCTest

/// `edgec partition --transfer-layers` on ScissionTL's published densenet169 data (device
/// tx2_gpu, edge ampere) against what ScissionTL's predictor printed
/// (Tests/Fixtures/scissiontl/densenet169.json, Tools/make_scissiontl_fixtures.py).
final class TransferRankingTests: XCTestCase {
    static let edgeOnly = "Device(tx2_gpu) = -1 - -1, Edge(ampere) = 0 - 596"
    static let deviceOnly = "Device(tx2_gpu) = 0 - 596, Edge(None) = -1 - -1"

    func options(_ transfer: String) throws -> PartitionOptions {
        let dir = try PlannerTestSupport.imported(PlannerTestSupport.scissionTLData)
        var o = PartitionOptions()
        o.profiles = [dir.appendingPathComponent("tx2_gpu.json").path, dir.appendingPathComponent("ampere.json").path]
        o.network = dir.appendingPathComponent("network_stats.csv").path
        o.model = "densenet169"
        o.chain = ["device", "edge"]
        o.transferLayers = try TransferOption.parseList(transfer)
        return o
    }

    func fixtureLines() throws -> [String] {
        let url = PlannerTestSupport.fixtures.appendingPathComponent("scissiontl/densenet169.json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(json["lines"] as? [String])
    }

    /// "[3] 0.2068s - 0.2008MB - Device(...)..." -> "0.2068s - 0.2008MB - Device(...)..."
    func unranked(_ line: String) -> String { String(line.drop { $0 != " " }.dropFirst()) }

    func testTransferOptionNames() throws {
        let names = try TransferOption.parseList("none, pool2,pca:auto,u8,pool2+u8,pca:12+f16,f16")
        XCTAssertEqual(names.map(\.description), ["none", "pool2", "pca:auto", "u8", "pool2+u8", "pca:12+f16", "f16"])
        XCTAssertEqual(try TransferOption(parsing: "none+f32"), TransferOption.none)
        XCTAssertEqual(try TransferOption(parsing: "pool2+f32").description, "pool2")
        for bad in ["", "pool3", "u8+pool2", "pool2+pool2", "u8+f16", "pca:0", "pca:x", "pool2+u8+f16"] {
            XCTAssertThrowsError(try TransferOption(parsing: bad), bad)
        }
        XCTAssertThrowsError(try TransferOption.parseList("u8,none+u8"), "the same option twice")
    }

    func testDensenet169PoolRankingIsScissionTLsWithoutItsPenalties() throws {
        let theirs = try fixtureLines().map(unranked)
        XCTAssertEqual(theirs.count, 21)
        let o = try options("pool2")
        let results = try TransferRanking(options: o).best(100)
        // Every split ScissionTL scores without a penalty, in its order, to the printed decimals.
        let split = results.filter { $0.transfer != nil }.map { PlanReport.scissionLine($0).replacingOccurrences(of: " - TL pool2", with: "") }
        let honest = theirs.filter { Double($0.prefix { $0 != "s" })! < 1000 }
        XCTAssertEqual(honest.count, 20)
        XCTAssertEqual(split, honest)
        // Its last line is the cut where it measured no Transfer Layer (-1 times): charged
        // 4 x 1000 s there. We do not offer pool2 at that cut; with `none` it ranks at its real time.
        XCTAssertTrue(theirs[20].hasPrefix("4000.") && theirs[20].hasSuffix("Device(tx2_gpu) = 0 - 595, Edge(ampere) = 596 - 596"), theirs[20])
        let withNone = try TransferRanking(options: try options("none,pool2")).best(100)
        let cut595 = try XCTUnwrap(withNone.first { $0.text == "Device(tx2_gpu) = 0 - 595, Edge(ampere) = 596 - 596" })
        XCTAssertEqual(cut595.transfer, TransferOption.none)
        XCTAssertLessThan(cut595.totalSeconds, 1)

        // Edge-only (the input sent as it is) is ScissionTL's blind spot, and the best here.
        XCTAssertEqual(results[0].text, Self.edgeOnly)
        XCTAssertNil(results[0].transfer)
        XCTAssertFalse(theirs.contains { $0.hasSuffix(Self.edgeOnly) })
        // Device-only costs its compute, no Transfer Layer: ScissionTL would add 2 x 1000 - 2 s (and crashes printing it).
        let problem = try o.makeProblem(transfer: o.transferLayers[0])
        var compute = 0.0
        for s in problem.systems[0].seconds { compute += s }
        let local = try XCTUnwrap(results.firstIndex { $0.text == Self.deviceOnly })
        XCTAssertEqual(results[local].totalSeconds, compute)
        XCTAssertNil(results[local].transfer)
        XCTAssertEqual(local, 18, "device-only ranks 19th of 22")
        XCTAssertEqual(results.count, 22, "20 splits with pool2 + edge-only + device-only")

        // The DP agrees with the exhaustive search on the TL problem.
        let dp = try PartitionSearch(problem).best(30).map(PlanReport.scissionLine)
        XCTAssertEqual(dp, ExhaustiveSearch(problem).best(30).map(PlanReport.scissionLine))
    }

    /// Both options together: each cut appears once per option that was measured there,
    /// configurations without a cut once; a fidelity floor drops ScissionTL's pool2
    /// (its fidelity was never measured) but keeps `none` (exact).
    func testOptionsRankTogetherAndMinFidelityFilters() throws {
        var o = try options("none,pool2")
        let both = try TransferRanking(options: o).best(100)
        XCTAssertEqual(both.count, 21 + 20 + 2)
        XCTAssertEqual(Set(both.map { "\($0.text)|\($0.transfer?.description ?? "-")" }).count, both.count)
        for (a, b) in zip(both, both.dropFirst()) { XCTAssertLessThanOrEqual(a.totalSeconds, b.totalSeconds) }
        o.minFidelity = 0.9
        let floor = try TransferRanking(options: o).best(100)
        XCTAssertEqual(floor.count, 21 + 2)
        XCTAssertTrue(floor.allSatisfy { $0.transfer == nil || $0.transfer == TransferOption.none })
        // The command line prints the same ranking, TL named.
        let r = try PlannerTestSupport.edgec(["partition", "--profiles"] + (try options("pool2")).profiles + ["--network", o.network,
                                              "--model", "densenet169", "--chain", "device,edge", "--transfer-layers", "none,pool2", "--top", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("[1] 0.1216s - 0.1500MB - \(Self.edgeOnly)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("[2] 0.1261s - 0.1588MB - Device(tx2_gpu) = 0 - 1, Edge(ampere) = 2 - 596 - TL pool2\n"), r.stdout)
        let bad = try PlannerTestSupport.edgec(["partition", "--profiles", o.profiles[0], "--network", o.network, "--model", "densenet169",
                                                "--transfer-layers", "pool3"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
    }

    /// Our own profile: the digits CNN profiled with every option at every cut (split and
    /// run for real), then ranked over a slow link. The ranking follows the measured
    /// numbers (recomputed here from the profile), and --min-fidelity drops exactly the
    /// options whose measured fidelity at that cut is lower.
    func testTransferAwareRankingOnOurProfile() throws {
        let dir = try PlannerTestSupport.tempDir("tl-profile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let portfolio = PlannerTestSupport.fixtures.appendingPathComponent("portfolio")
        let model = dir.appendingPathComponent("digits.edgm").path
        let c = try PlannerTestSupport.edgec(["compile", portfolio.appendingPathComponent("digits_imp_00.onnx").path, "-o", model])
        XCTAssertEqual(c.status, 0, c.stderr)
        let cal = try dir.appendingPathComponent("cal").creatingDirectoryForTest()
        for k in 0..<4 {
            try FileManager.default.copyItem(at: portfolio.appendingPathComponent("sample_\(k).npy"), to: cal.appendingPathComponent("sample_\(k).npy"))
        }
        let options = "none,pool2,pca:auto,u8"
        for (system, tier) in [("board", "device"), ("server", "edge")] {
            let r = try PlannerTestSupport.edgec(["profile", model, "--system", system, "--tier", tier, "--iterations", "3",
                                                  "--transfer-layers", options, "--calibration", cal.path, "-o", dir.appendingPathComponent("\(system).json").path])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let board = try SystemProfile.load(dir.appendingPathComponent("board.json").path)
        let server = try SystemProfile.load(dir.appendingPathComponent("server.json").path)
        let blocks = try XCTUnwrap(board.model(named: "digits")).blocks
        let serverBlocks = try XCTUnwrap(server.model(named: "digits")).blocks
        XCTAssertEqual(blocks.count, 4)
        for b in blocks.dropLast() {
            let t = try XCTUnwrap(b.transfers)
            XCTAssertEqual(t.map(\.option), ["none", "pool2", "pca:auto", "u8"], "every option applies to the conv cuts")
            XCTAssertTrue(t[2].tl.hasPrefix("pca:") && t[2].tl != "pca:auto", t[2].tl)
            XCTAssertLessThan(t[3].bytes, t[0].bytes, "u8 sends fewer bytes than f32")
            XCTAssertLessThan(t[1].bytes, t[0].bytes, "pool2 sends fewer bytes")
            XCTAssertEqual(t[0].fidelity, 1, "no Transfer Layer, f32: exact")
        }
        XCTAssertNil(blocks.last?.transfers, "no cut after the last block")

        // 0.2 Mbit/s, 5 ms: bytes dominate. The device runs layer 0, the edge the last layer: splits only.
        let net = dir.appendingPathComponent("net.csv").path
        try "source,destination,ping,bw\nboard,server,5,0.2\n".write(toFile: net, atomically: true, encoding: .utf8)
        let base = ["partition", "--profiles", dir.appendingPathComponent("board.json").path, dir.appendingPathComponent("server.json").path,
                    "--network", net, "--model", "digits", "--chain", "device,edge", "-d", "0", "-e", "\(blocks.last!.lastLayer)",
                    "--transfer-layers", options, "--top", "20", "--json"]
        func ranked(_ extra: [String]) throws -> [[String: Any]] {
            let r = try PlannerTestSupport.edgec(base + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return try XCTUnwrap(json["results"] as? [[String: Any]])
        }
        let all = try ranked([])
        XCTAssertEqual(all.count, 3 * 4, "3 cuts x 4 options")
        let bw = (0.2 * 125000).rounded(.toNearestOrEven)
        var expected: [(Double, String)] = []
        for row in all {
            let tiers = try XCTUnwrap(row["tiers"] as? [[String: Any]])
            let last = try XCTUnwrap(tiers[0]["last_layer"] as? Int)
            let cut = try XCTUnwrap(blocks.firstIndex { $0.lastLayer == last })
            let option = try XCTUnwrap(row["transfer_layer"] as? String)
            let sent = try XCTUnwrap(blocks[cut].transfers?.first { $0.option == option })
            let received = try XCTUnwrap(serverBlocks[cut].transfers?.first { $0.option == option })
            var compute = 0.0
            for b in 0...cut { compute += blocks[b].seconds }
            for b in (cut + 1)..<blocks.count { compute += serverBlocks[b].seconds }
            let total = compute + 0.005 + Double(sent.bytes) / bw + sent.sendSeconds + received.receiveSeconds
            XCTAssertEqual(try XCTUnwrap(row["total_s"] as? Double), total, accuracy: 1e-12 * max(1, total))
            expected.append((total, "\(cut)|\(option)"))
        }
        XCTAssertEqual(expected.map(\.1), expected.sorted { $0.0 < $1.0 }.map(\.1), "ranked by the measured totals")
        let best = try XCTUnwrap(all.first?["transfer_layer"] as? String)
        XCTAssertNotEqual(best, "none", "on a slow link a smaller transfer wins")

        // A fidelity floor keeps an option at a cut exactly when its measured fidelity reaches it.
        let floor = 0.9
        let kept = Set(try ranked(["--min-fidelity", "\(floor)"]).map { row -> String in
            let tiers = row["tiers"] as! [[String: Any]]
            let cut = blocks.firstIndex { $0.lastLayer == tiers[0]["last_layer"] as! Int }!
            return "\(cut)|\(row["transfer_layer"] as! String)"
        })
        var want = Set<String>()
        for (cut, b) in blocks.dropLast().enumerated() { for t in b.transfers! where t.fidelity >= floor { want.insert("\(cut)|\(t.option)") } }
        XCTAssertEqual(kept, want)
    }
}

extension URL {
    func creatingDirectoryForTest() throws -> URL {
        try FileManager.default.createDirectory(at: self, withIntermediateDirectories: true)
        return self
    }
}
