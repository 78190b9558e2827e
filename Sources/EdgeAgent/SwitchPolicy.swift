import EdgeWire

/// DNNShifter-style switching: serve the most accurate variant whose latency, as the
/// agent measures it now, meets the budget.
///
/// The agent measures only the active variant (its recent requests, from the kernel's
/// receive stamp: LatencyWindow). Another variant's p95 now is predicted from the same
/// requests: the wait before serving as it was, the worker wait and run scaled by the
/// ratio of the two variants' offline latencies (from the portfolio manifest). Scaling
/// the whole latency instead would make a CPU's queueing delay look proportional to the
/// run time: after stepping down to a fast variant the policy would never see room to
/// step up again. Hysteresis keeps it from flapping: step down as soon as p95 exceeds
/// the budget (after 0.5 s on the variant), step up only when the prediction leaves 20%
/// headroom and the current variant has served for `upHoldMs` (2 s). A step up that has
/// to step down again within 5 s doubles `upHoldMs` (up to 32 s): the prediction was
/// wrong for this machine's state, so wait longer before trusting it again; a step up
/// that holds 5 s halves it again.
struct SwitchPolicy {
    var spec: PolicySpec
    static let minSamples = 16
    static let downAfterMs = 500.0
    static let upAfterMs = 2000.0
    static let maxUpHoldMs = 32_000.0
    static let flapMs = 5000.0
    static let upHeadroom = 0.8
    private(set) var upHoldMs = SwitchPolicy.upAfterMs
    /// When the last step up happened (agent clock, ms), until it held or failed.
    private var steppedUpAtMs: Double? = nil

    init(spec: PolicySpec) { self.spec = spec }

    /// A step up that has held for `flapMs` relaxes the hold time.
    mutating func tick(nowMs: Double) {
        if let t = steppedUpAtMs, nowMs - t >= SwitchPolicy.flapMs {
            upHoldMs = Swift.max(SwitchPolicy.upAfterMs, upHoldMs / 2)
            steppedUpAtMs = nil
        }
    }

    /// Records a switch the policy made.
    mutating func switched(from: String, to: String, nowMs: Double) {
        let up = (variant(to)?.accuracy ?? 0) > (variant(from)?.accuracy ?? 0)
        if up {
            steppedUpAtMs = nowMs
        } else {
            if let t = steppedUpAtMs, nowMs - t < SwitchPolicy.flapMs {
                upHoldMs = Swift.min(SwitchPolicy.maxUpHoldMs, upHoldMs * 2)
            }
            steppedUpAtMs = nil
        }
    }

    func variant(_ name: String) -> PolicyVariant? {
        for v in spec.variants where v.name == name { return v }
        return nil
    }

    /// Most accurate first.
    var byAccuracy: [PolicyVariant] { spec.variants.sorted { $0.accuracy > $1.accuracy } }

    /// The variant to switch to, or nil to stay. `installed` filters out what the agent
    /// does not have.
    func decide(current: String, window: LatencyWindow, sinceSwitchMs: Double,
                installed: (String) -> Bool) -> String? {
        let candidates = byAccuracy.filter { installed($0.name) }
        guard !candidates.isEmpty else { return nil }
        guard let cur = variant(current) else {
            // Not a policy variant: start from the most accurate one that fits offline.
            let first = candidates.first { $0.latencyMs <= spec.budgetMs } ?? fastest(candidates)
            return first.name == current ? nil : first.name
        }
        guard window.count >= SwitchPolicy.minSamples else { return nil }
        let p95Ms = window.p95Ms()
        func predicted(_ v: PolicyVariant) -> Double { window.p95Ms(scale: v.latencyMs / Swift.max(cur.latencyMs, 1e-6)) }
        if p95Ms > spec.budgetMs {
            guard sinceSwitchMs >= SwitchPolicy.downAfterMs else { return nil }
            let fit = candidates.first { $0.latencyMs < cur.latencyMs && predicted($0) <= spec.budgetMs }
            let target = fit ?? fastest(candidates)
            return target.name == current ? nil : target.name
        }
        if p95Ms < SwitchPolicy.upHeadroom * spec.budgetMs && sinceSwitchMs >= upHoldMs {
            let up = candidates.first { $0.accuracy > cur.accuracy && predicted($0) <= SwitchPolicy.upHeadroom * spec.budgetMs }
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
