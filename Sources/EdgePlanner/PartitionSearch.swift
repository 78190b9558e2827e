import EdgeFormat

public enum Objective: String, CaseIterable {
    /// End-to-end time of one input: compute plus transfers (Scission's objective).
    case latency
    /// Frames per second of a pipelined stream: the slowest stage (one tier's compute or
    /// one hop) bounds it; equal bottlenecks are ranked by latency.
    case throughput
}

/// The K best configurations by dynamic programming over cut positions.
///
/// A configuration is a path through positions 0...B (B blocks): it enters a system
/// ("arrive" state I[p][g]: the input of block p is on system g), runs blocks p..<q there
/// ("after" state A[q][g]), hops to a system of a later tier (I[q][g']), and so on until
/// q == B. Every constraint but the percentage time caps is local to one segment or one
/// hop, so it prunes edges; the K cheapest partial paths are kept per state (a path's cost
/// only grows along it, so the K best completions come from the K best prefixes).
/// Work: O(B^2 * G * K) for the segments plus O(B * G^2 * K) for the hops, G systems.
///
/// Costs are summed in DP order; the final ranking re-evaluates each configuration in
/// Scission's order (`PlanProblem.evaluate`) and K grows until the cut-off is clear of
/// rounding and of configurations the global constraints reject.
public struct PartitionSearch {
    public let problem: PlanProblem
    public let objective: Objective
    /// No stage (a tier's compute, a hop) may take longer (the throughput search's levels).
    var stageCap = Double.infinity

    public init(_ problem: PlanProblem, objective: Objective = .latency) {
        self.problem = problem
        self.objective = objective
    }

    /// The `top` best configurations that satisfy every constraint, best first.
    public func best(_ top: Int, maxKeep: Int = 1 << 14) throws(EdgeError) -> [Evaluation] {
        objective == .latency ? try bestByKey(top, maxKeep: maxKeep) : try bestThroughput(top, maxKeep: maxKeep)
    }

    /// Throughput, exactly in (bottleneck, latency) order: the max-DP finds the `top`
    /// smallest bottleneck values; for each, in turn, a latency search with every stage
    /// capped at that value lists the configurations whose bottleneck equals it.
    func bestThroughput(_ top: Int, maxKeep: Int) throws(EdgeError) -> [Evaluation] {
        let levels = Set(try bestByKey(top, maxKeep: maxKeep).map(\.bottleneckSeconds)).sorted()
        var out: [Evaluation] = []
        for v in levels where out.count < top {
            var s = PartitionSearch(problem, objective: .latency)
            s.stageCap = v
            out += try s.bestByKey(top, maxKeep: maxKeep).filter { $0.bottleneckSeconds == v }.prefix(top - out.count)
        }
        return out
    }

    func bestByKey(_ top: Int, maxKeep: Int) throws(EdgeError) -> [Evaluation] {
        guard top > 0 else { return [] }
        var keep = max(top, 4)
        while true {
            let paths = kBest(keep)
            var accepted = paths.map { problem.evaluate($0.config) }.filter { problem.satisfies($0) && $0.bottleneckSeconds <= stageCap }
            accepted.sort(by: rankedBefore)
            if paths.count < keep { return Array(accepted.prefix(top)) }
            if accepted.count >= top {
                let cutoff = key(accepted[top - 1])
                let last = paths[paths.count - 1].cost
                if last > cutoff + 1e-9 * max(1, abs(cutoff)) { return Array(accepted.prefix(top)) }
            }
            guard keep < maxKeep else {
                throw EdgeError(.unsupported, "the search kept \(keep) configurations and still cannot rank the top \(top) (the percentage time caps reject too many); relax them or lower --top")
            }
            keep = min(maxKeep, keep * 4)
        }
    }

    func key(_ e: Evaluation) -> Double { objective == .latency ? e.totalSeconds : e.bottleneckSeconds }

    /// Best first; exact ties by configuration text, so the order is reproducible.
    public func rankedBefore(_ a: Evaluation, _ b: Evaluation) -> Bool {
        switch objective {
        case .latency:
            if a.totalSeconds != b.totalSeconds { return a.totalSeconds < b.totalSeconds }
        case .throughput:
            if a.bottleneckSeconds != b.bottleneckSeconds { return a.bottleneckSeconds < b.bottleneckSeconds }
            if a.totalSeconds != b.totalSeconds { return a.totalSeconds < b.totalSeconds }
        }
        return a.text < b.text
    }

    struct Path {
        var cost: Double
        var config: Configuration
    }

    /// A bounded list of the cheapest entries per state, in flat arrays.
    struct Lists {
        let k: Int
        var cost: [Double]
        var backA: [Int32]
        var backB: [Int32]
        var count: [Int32]

        init(states: Int, k: Int) {
            self.k = k
            cost = [Double](repeating: 0, count: states * k)
            backA = [Int32](repeating: 0, count: states * k)
            backB = [Int32](repeating: 0, count: states * k)
            count = [Int32](repeating: 0, count: states)
        }

        /// The cost an entry must beat to get in.
        @inline(__always) func bar(_ s: Int) -> Double {
            Int(count[s]) < k ? .infinity : cost[s * k + k - 1]
        }

        @inline(__always) mutating func insert(_ s: Int, _ c: Double, _ a: Int32, _ b: Int32) {
            let n = Int(count[s])
            let base = s * k
            if n == k && c >= cost[base + k - 1] { return }
            var i = n < k ? n : k - 1
            while i > 0 && cost[base + i - 1] > c {
                cost[base + i] = cost[base + i - 1]
                backA[base + i] = backA[base + i - 1]
                backB[base + i] = backB[base + i - 1]
                i -= 1
            }
            cost[base + i] = c
            backA[base + i] = a
            backB[base + i] = b
            if n < k { count[s] = Int32(n + 1) }
        }
    }

    @inline(__always) func combine(_ c: Double, _ d: Double) -> Double {
        objective == .latency ? c + d : max(c, d)
    }

    /// The `k` cheapest paths under the local constraints, cheapest first.
    func kBest(_ k: Int) -> [Path] {
        let p = problem
        let n = p.blockCount
        let g = p.systems.count
        let tiers = p.tiers.count
        var arrive = Lists(states: (n + 1) * g, k: k)  // I: backA = previous system (or -1 used source / -2-s unused source), backB = entry
        var after = Lists(states: (n + 1) * g, k: k)   // A: backA = segment start p, backB = entry in I[p][g]
        var finals = Lists(states: 1, k: k)             // backA = system, backB = entry in A[n][g]

        var mayUnused = [Bool](repeating: false, count: tiers)
        for t in 0..<tiers { mayUnused[t] = p.mayBeUnused(t) }
        var skip = [[Bool]](repeating: [Bool](repeating: false, count: tiers + 1), count: tiers + 1)
        for a in 0..<tiers { for b in (a + 1)...tiers { skip[a][b] = p.skippable(a, b) } }
        var mustLo = [Int](repeating: Int.max, count: tiers), mustHi = [Int](repeating: -1, count: tiers)
        for t in 0..<tiers where !p.mustBlocks[t].isEmpty {
            mustLo[t] = p.mustBlocks[t].first!
            mustHi[t] = p.mustBlocks[t].last!
        }
        let usable = (0..<tiers).map { !p.tiers[$0].criteria.mustBeUnused }

        // Start: the first tier runs from block 0, or sends the input on.
        for s in p.systems(ofTier: 0) {
            if usable[0] && p.allowed[s] { arrive.insert(s, 0, -1, 0) }
        }
        if mayUnused[0] && !(p.tiers[0].uploadCapBytes.map { p.inputBytes > $0 } ?? false) {
            for s in p.systems(ofTier: 0) {
                for h in 0..<g where p.systems[h].tier > 0 && p.allowed[h] && usable[p.systems[h].tier] && skip[0][p.systems[h].tier] {
                    let d = p.links[s][h]!.seconds(p.inputBytes)
                    if d > stageCap { continue }
                    arrive.insert(h, combine(0, d), Int32(-2 - s), 0)
                }
            }
        }

        for pos in 0...n {
            // Hops out of position pos (all segments ending here are final by now).
            if pos > 0 && pos < n {
                for from in 0..<g where after.count[pos * g + from] > 0 {
                    let t = p.systems[from].tier
                    let bytes = p.systems[from].outputBytes[pos - 1]
                    for to in 0..<g {
                        let t2 = p.systems[to].tier
                        guard t2 > t, p.allowed[to], usable[t2], skip[t][t2], pos <= mustLo[t2] else { continue }
                        let d = p.links[from][to]!.seconds(bytes)
                        if d > stageCap { continue }
                        let src = pos * g + from, dst = pos * g + to
                        for j in 0..<Int(after.count[src]) {
                            let c = combine(after.cost[src * k + j], d)
                            if c >= arrive.bar(dst) { break }
                            arrive.insert(dst, c, Int32(from), Int32(j))
                        }
                    }
                }
            }
            if pos == n {
                for s in 0..<g where after.count[n * g + s] > 0 {
                    let st = n * g + s
                    for j in 0..<Int(after.count[st]) {
                        let c = after.cost[st * k + j]
                        if c >= finals.bar(0) { break }
                        finals.insert(0, c, Int32(s), Int32(j))
                    }
                }
                break
            }
            // Segments starting at pos.
            for s in 0..<g where arrive.count[pos * g + s] > 0 {
                let t = p.systems[s].tier
                if pos > mustLo[t] { continue }
                let sys = p.systems[s]
                let req = p.tiers[t]
                var capSeconds = Double.infinity
                if case .seconds(let x)? = req.timeCap { capSeconds = x }
                let uploadCap = req.uploadCapBytes ?? .infinity
                let lastOK = skip[t][tiers]
                var time = 0.0, weights = 0.0, arena = 0.0
                let src = pos * g + s
                let entries = Int(arrive.count[src])
                for q in (pos + 1)...n {
                    let b = q - 1
                    if p.forbidden[t][b] { break }
                    if let owner = p.blockOwner[b], owner != t { break }
                    time += sys.seconds[b]
                    if time > capSeconds || time > stageCap { break }
                    if let cap = sys.memoryBytes {
                        weights += sys.weightBytes![b]
                        arena = max(arena, sys.arenaBytes![b])
                        if weights + arena > cap { break }
                    }
                    if b < mustHi[t] { continue }
                    if q < n ? sys.outputBytes[b] > uploadCap : !lastOK { continue }
                    let dst = q * g + s
                    for j in 0..<entries {
                        let c = combine(arrive.cost[src * k + j], time)
                        if c >= after.bar(dst) { break }
                        after.insert(dst, c, Int32(pos), Int32(j))
                    }
                }
            }
        }

        // Walk the back pointers.
        var paths: [Path] = []
        for j in 0..<Int(finals.count[0]) {
            var segments = [Configuration.Segment?](repeating: nil, count: tiers)
            var sys = Int(finals.backA[j])
            var entry = Int(finals.backB[j])
            var end = n
            var source = -1
            while true {
                let a = end * g + sys
                let start = Int(after.backA[a * k + entry])
                let ie = Int(after.backB[a * k + entry])
                segments[p.systems[sys].tier] = .init(system: sys, blocks: start..<end)
                let i = start * g + sys
                let prev = Int(arrive.backA[i * k + ie])
                if prev == -1 { source = sys; break }
                if prev <= -2 { source = -2 - prev; break }
                entry = Int(arrive.backB[i * k + ie])
                sys = prev
                end = start
            }
            paths.append(Path(cost: finals.cost[j], config: Configuration(source: source, segments: segments)))
        }
        return paths
    }
}
