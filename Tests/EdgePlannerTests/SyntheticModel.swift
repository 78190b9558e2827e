import EdgePlanner
import Foundation

/// A made-up chain problem of any size: per-block times that fall with the tier (clouds
/// are faster), output sizes that shrink along the model, links that get faster
/// towards the cloud.
enum SyntheticModel {
    static func problem(blocks: Int, tiers: Int, systemsPerTier: Int, seed: UInt64) -> PlanProblem {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func unit() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let names = ["device", "gateway", "edge", "cloud", "core", "backbone"]
        var systems: [PlanSystem] = []
        for t in 0..<tiers {
            for s in 0..<systemsPerTier {
                let speed = pow(4.0, Double(t)) * (0.7 + 0.6 * unit())
                systems.append(PlanSystem(
                    name: "\(names[t])\(s)", tier: t,
                    seconds: (0..<blocks).map { _ in (0.5 + unit()) * 0.01 / speed },
                    outputBytes: (0..<blocks).map { b in Double(Int(4e6 * pow(0.99, Double(b)) * (0.5 + unit()))) }))
            }
        }
        var links = [[Link?]](repeating: [Link?](repeating: nil, count: systems.count), count: systems.count)
        for a in systems.indices { for b in systems.indices where systems[b].tier > systems[a].tier {
            links[a][b] = Link(pingMs: 5 + 40 * unit(), megabitsPerSecond: 10 * Double(systems[a].tier + 1) * (0.5 + unit()))
        } }
        let layers = (0..<blocks).map { (first: $0, last: $0) }
        return try! PlanProblem(model: "synthetic", tiers: (0..<tiers).map { TierRequest(tier: names[$0]) },
                                blockLayers: layers, systems: systems, links: links, inputBytes: 150_000)
    }
}
