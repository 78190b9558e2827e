/// Every configuration, each checked whole with `PlanProblem.satisfies`: the oracle the
/// dynamic programme is tested against, and what Scission itself does. Exponential in
/// the number of tiers; fine for small problems only.
public struct ExhaustiveSearch {
    public let problem: PlanProblem
    public let objective: Objective

    public init(_ problem: PlanProblem, objective: Objective = .latency) {
        self.problem = problem
        self.objective = objective
    }

    public func all() -> [Configuration] {
        let p = problem
        var out: [Configuration] = []
        var segs = [Configuration.Segment?](repeating: nil, count: p.tiers.count)
        func place(_ t: Int, _ next: Int, _ source: Int?) {
            if t == p.tiers.count {
                guard next == p.blockCount else { return }
                if let source { out.append(Configuration(source: source, segments: segs)) } else {
                    for s in p.systems(ofTier: 0) { out.append(Configuration(source: s, segments: segs)) }
                }
                return
            }
            segs[t] = nil
            place(t + 1, next, source)
            guard next < p.blockCount else { return }
            for s in p.systems(ofTier: t) {
                for end in (next + 1)...p.blockCount {
                    segs[t] = .init(system: s, blocks: next..<end)
                    place(t + 1, end, t == 0 ? s : source)
                }
            }
            segs[t] = nil
        }
        place(0, 0, nil)
        return out
    }

    public func best(_ top: Int) -> [Evaluation] {
        let search = PartitionSearch(problem, objective: objective)
        // An infinite time: a cut the problem's transfer option was not measured at.
        let ok = all().map { problem.evaluate($0) }.filter { problem.satisfies($0) && $0.totalSeconds.isFinite }
        return Array(ok.sorted(by: search.rankedBefore).prefix(top))
    }
}
