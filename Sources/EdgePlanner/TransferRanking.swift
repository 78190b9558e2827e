import EdgeFormat

/// `edgec partition --transfer-layers`: every cut with every transfer option, ranked
/// together. One search per option (each cut of a configuration uses the same option),
/// then one list: a configuration that crosses no cut after a block (the whole model on
/// the first tier, or only the input sent on) costs the same under every option and is
/// listed once, without one. Unlike ScissionTL's predictor, a configuration that needs no
/// Transfer Layer is never charged for one, and edge-only configurations are included.
public struct TransferRanking {
    public let problems: [PlanProblem]
    public let objective: Objective

    public init(options: PartitionOptions) throws(EdgeError) {
        guard !options.transferLayers.isEmpty else { throw EdgeError(.invalidArgument, "no transfer options") }
        var ps: [PlanProblem] = []
        for t in options.transferLayers { ps.append(try options.makeProblem(transfer: t)) }
        problems = ps
        objective = options.objective
    }

    public func best(_ top: Int) throws(EdgeError) -> [Evaluation] {
        var all: [Evaluation] = []
        var seenWithout = Set<String>()
        for p in problems {
            for e in try PartitionSearch(p, objective: objective).best(top) {
                if e.transfer == nil && !seenWithout.insert(e.text).inserted { continue }
                all.append(e)
            }
        }
        let order = PartitionSearch(problems[0], objective: objective)
        all.sort { a, b in
            if a.totalSeconds == b.totalSeconds && a.bottleneckSeconds == b.bottleneckSeconds && a.text == b.text {
                return (a.transfer?.description ?? "") < (b.transfer?.description ?? "")
            }
            return order.rankedBefore(a, b)
        }
        return Array(all.prefix(top))
    }
}
