import EdgeWire

/// DNNShifter-style switching: serve the most accurate variant whose latency, as the
/// agent measures it now, meets the budget.
///
/// The agent measures only the active variant (p95 of its recent requests, queue delay
/// included). Other variants' current latency is estimated by scaling their offline
/// latency (from the portfolio manifest) by how much slower than offline the active one
/// runs now — a CPU hog slows them all alike. Hysteresis keeps it from flapping: step down
/// as soon as p95 exceeds the budget (after 0.5 s on the variant), step up only when the
/// estimate leaves 20% headroom and the current variant has served for 2 s.
struct SwitchPolicy {
    var spec: PolicySpec
    static let minSamples = 16
    static let downAfterMs = 500.0
    static let upAfterMs = 2000.0
    static let upHeadroom = 0.8

    func variant(_ name: String) -> PolicyVariant? {
        for v in spec.variants where v.name == name { return v }
        return nil
    }

    /// Most accurate first.
    var byAccuracy: [PolicyVariant] { spec.variants.sorted { $0.accuracy > $1.accuracy } }

    /// The variant to switch to, or nil to stay. `installed` filters out what the agent
    /// does not have.
    func decide(current: String, p95Ms: Double, samples: Int, sinceSwitchMs: Double,
                installed: (String) -> Bool) -> String? {
        let candidates = byAccuracy.filter { installed($0.name) }
        guard !candidates.isEmpty else { return nil }
        guard let cur = variant(current) else {
            // Not a policy variant: start from the most accurate one that fits offline.
            let first = candidates.first { $0.latencyMs <= spec.budgetMs } ?? fastest(candidates)
            return first.name == current ? nil : first.name
        }
        guard samples >= SwitchPolicy.minSamples else { return nil }
        let factor = p95Ms / Swift.max(cur.latencyMs, 1e-6)
        if p95Ms > spec.budgetMs {
            guard sinceSwitchMs >= SwitchPolicy.downAfterMs else { return nil }
            let fit = candidates.first { $0.latencyMs < cur.latencyMs && $0.latencyMs * factor <= spec.budgetMs }
            let target = fit ?? fastest(candidates)
            return target.name == current ? nil : target.name
        }
        if p95Ms < SwitchPolicy.upHeadroom * spec.budgetMs && sinceSwitchMs >= SwitchPolicy.upAfterMs {
            let up = candidates.first { $0.accuracy > cur.accuracy && $0.latencyMs * factor <= SwitchPolicy.upHeadroom * spec.budgetMs }
            return up?.name
        }
        return nil
    }

    func fastest(_ vs: [PolicyVariant]) -> PolicyVariant {
        var best = vs[0]
        for v in vs where v.latencyMs < best.latencyMs { best = v }
        return best
    }
}
