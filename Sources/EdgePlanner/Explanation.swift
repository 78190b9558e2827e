import EdgeFormat

/// Why a search found nothing: the constraints in force, and which ones, dropped alone,
/// would let configurations through.
extension PlanProblem {
    /// The same question with different tier requests (criteria re-derived).
    public func with(tiers newTiers: [TierRequest], memoryLimits: Bool = true) throws(EdgeError) -> PlanProblem {
        var p = self
        p.tiers = newTiers
        if !memoryLimits {
            for i in p.systems.indices { p.systems[i].memoryBytes = nil }
        }
        try p.deriveCriteria()
        return p
    }

    /// Every user constraint, one per line, with the request that drops it alone.
    func constraintVariants() -> [(String, [TierRequest], Bool)] {
        var out: [(String, [TierRequest], Bool)] = []
        for (t, req) in tiers.enumerated() {
            let items = req.criteria.text.isEmpty ? [] : req.criteria.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for (i, item) in items.enumerated() {
                var rest = items
                rest.remove(at: i)
                var ts = tiers
                ts[t].criteria = (try? TierCriteria(parsing: rest.joined(separator: ","), tier: req.tier)) ?? TierCriteria()
                if rest.isEmpty { ts[t].criteria = TierCriteria() }
                out.append(("\(req.tier) criterion '\(item)'", ts, true))
            }
            if req.uploadCapBytes != nil {
                var ts = tiers
                ts[t].uploadCapBytes = nil
                out.append(("\(req.tier) upload cap \(req.uploadCapText ?? "")MB", ts, true))
            }
            if req.timeCap != nil {
                var ts = tiers
                ts[t].timeCap = nil
                out.append(("\(req.tier) time cap \(req.timeCapText ?? "")", ts, true))
            }
        }
        let limited = systems.filter { $0.memoryBytes != nil }.map(\.name)
        if !limited.isEmpty {
            out.append(("memory limits of \(limited.joined(separator: ", "))", tiers, false))
        }
        return out
    }

    /// "no configuration satisfies: ..." with, for each constraint that alone blocks
    /// every configuration, the best one without it.
    public func explainEmpty(objective: Objective) -> String {
        let variants = constraintVariants()
        var lines = ["no configuration of '\(model)' satisfies: " + (variants.isEmpty ? "the chain \(tiers.map(\.tier).joined(separator: ",")) (every tier excluded?)" : variants.map(\.0).joined(separator: "; "))]
        for (what, ts, memory) in variants {
            guard let q = try? with(tiers: ts, memoryLimits: memory),
                  let best = try? PartitionSearch(q, objective: objective).best(1).first else { continue }
            lines.append(String(format: "  without the %@: %.4fs - %@", what, best.totalSeconds, best.text))
        }
        if lines.count == 1 { lines.append("  no single constraint is to blame: several conflict (or a tier that must be used has no allowed system)") }
        return lines.joined(separator: "\n")
    }
}
