import EdgeFormat
import EdgePlanner
import XCTest

/// The dynamic programme against the exhaustive search on random problems: random chains,
/// systems, block times and sizes, links, and every kind of constraint.
final class PartitionSearchTests: XCTestCase {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func unit() -> Double { Double(next() % 1_000_000) / 1_000_000 }
        mutating func chance(_ p: Double) -> Bool { unit() < p }
    }

    static func randomProblem(_ rng: inout Rng, memory: Bool) throws -> PlanProblem {
        let tierNames = ["device", "gateway", "edge", "cloud"]
        let tiers = 1 + rng.int(4)
        let blocks = 1 + rng.int(7)
        var layers: [(first: Int, last: Int)] = []
        var next = 0
        for _ in 0..<blocks {
            let width = 1 + rng.int(3)
            layers.append((next, next + width - 1))
            next += width
        }
        var systems: [PlanSystem] = []
        for t in 0..<tiers {
            for s in 0..<(1 + rng.int(3)) {
                // Coarse values make exact ties common: the ranking must still be reproducible.
                var sys = PlanSystem(name: "\(tierNames[t])\(s)", tier: t,
                                     seconds: (0..<blocks).map { _ in Double(rng.int(6)) * 0.125 },
                                     outputBytes: (0..<blocks).map { _ in Double(1000 * (1 + rng.int(50))) })
                if memory && rng.chance(0.5) {
                    sys.weightBytes = (0..<blocks).map { _ in Double(rng.int(100)) }
                    sys.arenaBytes = (0..<blocks).map { _ in Double(rng.int(100)) }
                    sys.memoryBytes = Double(50 + rng.int(300))
                }
                systems.append(sys)
            }
        }
        var links = [[Link?]](repeating: [Link?](repeating: nil, count: systems.count), count: systems.count)
        for a in systems.indices { for b in systems.indices where systems[b].tier > systems[a].tier {
            links[a][b] = Link(pingMs: Double(rng.int(50)), megabitsPerSecond: Double(1 + rng.int(40)) / 4)
        } }
        var requests: [TierRequest] = []
        for t in 0..<tiers {
            var r = TierRequest(tier: tierNames[t])
            var items: [String] = []
            let names = systems.filter { $0.tier == t }.map(\.name)
            if rng.chance(0.2) { items.append("\(layers[rng.int(blocks)].first)") }
            if rng.chance(0.2) { items.append("!\(layers[rng.int(blocks)].last)") }
            if rng.chance(0.1) { items.append(names[rng.int(names.count)]) }
            if rng.chance(0.1) { items.append("!" + names[rng.int(names.count)]) }
            if rng.chance(0.1) { items.append("-1") }
            if rng.chance(0.15) { items.append("!-1") }
            if !items.isEmpty { r.criteria = try TierCriteria(parsing: items.joined(separator: ","), tier: r.tier) }
            if rng.chance(0.2) { r.uploadCapBytes = Double(1000 * rng.int(60)) }
            if rng.chance(0.15) { r.timeCap = .seconds(Double(rng.int(8)) * 0.125) }
            if rng.chance(0.15) { r.timeCap = .percent(Double(rng.int(100))) }
            requests.append(r)
        }
        return try PlanProblem(model: "random", tiers: requests, blockLayers: layers, systems: systems, links: links, inputBytes: Double(1000 * rng.int(40)))
    }

    func check(_ p: PlanProblem, _ objective: Objective, top: Int, seed: Int) throws {
        let dp = try PartitionSearch(p, objective: objective).best(top)
        let all = ExhaustiveSearch(p, objective: objective).best(top)
        switch objective {
        case .latency:
            XCTAssertEqual(dp.map(\.text), all.map(\.text), "seed \(seed)")
            XCTAssertEqual(dp.map(\.totalSeconds), all.map(\.totalSeconds), "seed \(seed)")
        case .throughput:
            XCTAssertEqual(dp.map(\.text), all.map(\.text), "seed \(seed)")
            XCTAssertEqual(dp.map(\.bottleneckSeconds), all.map(\.bottleneckSeconds), "seed \(seed)")
        }
    }

    func testDynamicProgrammeMatchesExhaustiveSearch() throws {
        var rng = Rng(state: 42)
        var nonEmpty = 0
        for seed in 0..<400 {
            let p = try Self.randomProblem(&rng, memory: seed % 2 == 1)
            let top = 1 + rng.int(8)
            try check(p, .latency, top: top, seed: seed)
            if !ExhaustiveSearch(p).best(1).isEmpty { nonEmpty += 1 }
        }
        XCTAssertGreaterThan(nonEmpty, 200, "the random constraints should leave most problems solvable")
    }

    func testThroughputObjectiveMatchesExhaustiveSearch() throws {
        var rng = Rng(state: 7)
        for seed in 0..<200 {
            let p = try Self.randomProblem(&rng, memory: false)
            try check(p, .throughput, top: 1 + rng.int(5), seed: seed)
        }
    }

    func testThroughputPrefersTheBalancedPipeline() throws {
        // Two equal systems; one block each is twice as fast per frame as both on one.
        let systems = [PlanSystem(name: "a", tier: 0, seconds: [1, 1], outputBytes: [10, 10]),
                       PlanSystem(name: "b", tier: 1, seconds: [1, 1], outputBytes: [10, 10])]
        var links = [[Link?]](repeating: [nil, nil], count: 2)
        links[0][1] = Link(pingMs: 1, megabitsPerSecond: 100)
        let p = try PlanProblem(model: "m", tiers: [TierRequest(tier: "device"), TierRequest(tier: "edge")],
                                blockLayers: [(0, 0), (1, 1)], systems: systems, links: links, inputBytes: 10)
        XCTAssertEqual(try PartitionSearch(p, objective: .latency).best(1)[0].text, "Device(a) = 0 - 1, Edge(None) = -1 - -1")
        let t = try PartitionSearch(p, objective: .throughput).best(1)[0]
        XCTAssertEqual(t.text, "Device(a) = 0 - 0, Edge(b) = 1 - 1")
        XCTAssertEqual(t.bottleneckSeconds, 1)
    }

    func testMemoryLimitMovesTheHeavyBlock() throws {
        var dev = PlanSystem(name: "dev", tier: 0, seconds: [0.1, 0.1, 0.1], outputBytes: [1e6, 1e6, 1e3])
        dev.weightBytes = [10, 500, 10]
        dev.arenaBytes = [5, 5, 5]
        dev.memoryBytes = 100
        let cloud = PlanSystem(name: "cloud", tier: 1, seconds: [1, 1, 1], outputBytes: [1e6, 1e6, 1e3])
        var links = [[Link?]](repeating: [nil, nil], count: 2)
        links[0][1] = Link(pingMs: 10, megabitsPerSecond: 10)
        let p = try PlanProblem(model: "m", tiers: [TierRequest(tier: "device"), TierRequest(tier: "cloud")],
                                blockLayers: [(0, 0), (1, 1), (2, 2)], systems: [dev, cloud], links: links, inputBytes: 1e6)
        let best = try PartitionSearch(p).best(3)
        XCTAssertFalse(best.isEmpty)
        for e in best {
            if let seg = e.configuration.segments[0] { XCTAssertFalse(seg.blocks.contains(1), e.text) }
        }
        XCTAssertEqual(best.map(\.text), ExhaustiveSearch(p).best(3).map(\.text))
    }

    /// A 400-block model over 4 tiers x 5 systems: the DP answers (timing is measured in
    /// BENCHMARKS.md, not asserted here); the answer is checked on a smaller cousin by brute force.
    func testLargeChainIsSolvedAndSmallCousinMatchesBruteForce() throws {
        let big = SyntheticModel.problem(blocks: 400, tiers: 4, systemsPerTier: 5, seed: 1)
        let best = try PartitionSearch(big).best(5)
        XCTAssertEqual(best.count, 5)
        for k in 1..<best.count { XCTAssertLessThanOrEqual(best[k - 1].totalSeconds, best[k].totalSeconds) }
        let small = SyntheticModel.problem(blocks: 12, tiers: 4, systemsPerTier: 2, seed: 2)
        XCTAssertEqual(try PartitionSearch(small).best(10).map(\.text), ExhaustiveSearch(small).best(10).map(\.text))
    }
}
