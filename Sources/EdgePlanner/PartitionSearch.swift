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
        // (top beyond maxKeep cannot be ranked anyway: the guard below says so; min keeps
        // 2 * top from overflowing.)
        var keep = 2 * min(top, maxKeep) + 4
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

    /// A bounded list of the cheapest entries per state, in flat buffers (the hot loop
    /// would otherwise spend most of its time in Array's uniqueness checks).
    final class Lists {
        let k: Int
        let cost: UnsafeMutablePointer<Double>
        let backA: UnsafeMutablePointer<Int32>
        let backB: UnsafeMutablePointer<Int32>
        let count: UnsafeMutablePointer<Int32>
        let states: Int

        init(states: Int, k: Int) {
            self.k = k
            self.states = states
            cost = .allocate(capacity: states * k)
            backA = .allocate(capacity: states * k)
            backB = .allocate(capacity: states * k)
            count = .allocate(capacity: states)
            count.initialize(repeating: 0, count: states)
        }

        deinit {
            cost.deallocate()
            backA.deallocate()
            backB.deallocate()
            count.deallocate()
        }

        /// The cost an entry must beat to get in.
        @inline(__always) func bar(_ s: Int) -> Double {
            Int(count[s]) < k ? .infinity : cost[s * k + k - 1]
        }

        @inline(__always) func insert(_ s: Int, _ c: Double, _ a: Int32, _ b: Int32) {
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

    /// Where a partial path stands with Scission's zero-time rule (the hop out of the last
    /// tier whose compute is not exactly 0 s carries no bytes, see `PlanProblem.evaluate`):
    /// free: no obligation; owes: a hop carried bytes, so a later segment must take time > 0;
    /// zero: the zeroed hop is behind, so every later segment must take 0 s (later hops
    /// carry their bytes).
    static let free = 0, owes = 1, zero = 2

    /// The `k` cheapest paths under the local constraints, cheapest first.
    func kBest(_ k: Int) -> [Path] {
        let p = problem
        let n = p.blockCount
        let g = p.systems.count
        let tiers = p.tiers.count
        let free = Self.free, owes = Self.owes, zero = Self.zero
        // State index: ((pos * g + system) * 3 + status).
        // I (arrive): backA = previous system (-1: used source, -2-s: unused source s), backB = entry * 3 + its status.
        // A (after): backA = segment start * 3 + status there, backB = entry.
        let arrive = Lists(states: (n + 1) * g * 3, k: k)
        let after = Lists(states: (n + 1) * g * 3, k: k)
        let finals = Lists(states: 1, k: k)  // backA = system * 3 + status, backB = entry
        @inline(__always) func st(_ pos: Int, _ sys: Int, _ status: Int) -> Int { (pos * g + sys) * 3 + status }

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

        /// Pushes every entry of `src` into `dst` with cost combined with `d`.
        @inline(__always) func relay(_ from: Lists, _ src: Int, _ to: Lists, _ dst: Int, _ d: Double, _ a: Int32, _ b: (Int) -> Int32) {
            for j in 0..<Int(from.count[src]) {
                let c = combine(from.cost[src * k + j], d)
                if c >= to.bar(dst) { break }
                to.insert(dst, c, a, b(j))
            }
        }

        // Start: the first tier runs from block 0, or sends the input on.
        for s in p.systems(ofTier: 0) where usable[0] && p.allowed[s] {
            arrive.insert(st(0, s, free), 0, -1, 0)
        }
        if mayUnused[0] {
            let inputOK = !(p.tiers[0].uploadCapBytes.map { p.inputBytes > $0 } ?? false)
            for s in p.systems(ofTier: 0) {
                for h in 0..<g where p.systems[h].tier > 0 && p.allowed[h] && usable[p.systems[h].tier] && skip[0][p.systems[h].tier] {
                    let link = p.links[s][h]!
                    for (bytes, status) in [(p.inputBytes, owes), (0.0, zero)] where status == zero || inputOK {
                        let d = link.seconds(bytes)
                        if d > stageCap { continue }
                        arrive.insert(st(0, h, status), combine(0, d), Int32(-2 - s), 0)
                    }
                }
            }
        }

        for pos in 0...n {
            // Hops out of position pos (all segments ending here are final by now).
            if pos > 0 && pos < n {
                for from in 0..<g {
                    let t = p.systems[from].tier
                    let bytes = p.systems[from].outputBytes[pos - 1]
                    let realOK = !(p.tiers[t].uploadCapBytes.map { bytes > $0 } ?? false)
                    for sIn in [free, owes, zero] where after.count[st(pos, from, sIn)] > 0 {
                        for to in 0..<g {
                            let t2 = p.systems[to].tier
                            guard t2 > t, p.allowed[to], usable[t2], skip[t][t2], pos <= mustLo[t2] else { continue }
                            if realOK {
                                let d = p.hopSeconds(from, to, after: pos - 1, bytes: bytes)
                                let sOut = sIn == zero ? zero : owes
                                if d <= stageCap { relay(after, st(pos, from, sIn), arrive, st(pos, to, sOut), d, Int32(from)) { Int32($0 * 3 + sIn) } }
                            }
                            if sIn == free {
                                let d = p.hopSeconds(from, to, after: pos - 1, bytes: 0)
                                if d <= stageCap { relay(after, st(pos, from, sIn), arrive, st(pos, to, zero), d, Int32(from)) { Int32($0 * 3 + sIn) } }
                            }
                        }
                    }
                }
            }
            if pos == n {
                for s in 0..<g {
                    for status in [free, zero] { relay(after, st(n, s, status), finals, 0, 0, Int32(s * 3 + status)) { Int32($0) } }
                }
                break
            }
            // Segments starting at pos.
            for s in 0..<g {
                let t = p.systems[s].tier
                let active = [free, owes, zero].filter { arrive.count[st(pos, s, $0)] > 0 }
                if active.isEmpty || pos > mustLo[t] { continue }
                let sys = p.systems[s]
                let req = p.tiers[t]
                var capSeconds = Double.infinity
                if case .seconds(let x)? = req.timeCap { capSeconds = x }
                let lastOK = skip[t][tiers]
                var time = 0.0, weights = 0.0, arena = 0.0
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
                    if q == n && !lastOK { continue }
                    // Ending in the zero-time tail, a tier before the chain's last keeps its
                    // output as its upload (Scission's arithmetic), so its cap applies.
                    let zeroTailEndOK = q < n || t == tiers - 1 || sys.outputBytes[b] <= (req.uploadCapBytes ?? .infinity)
                    for sIn in active {
                        let sOut: Int
                        switch sIn {
                        case zero: if time != 0 || !zeroTailEndOK { continue }; sOut = zero
                        case owes: sOut = time > 0 ? free : owes
                        default: sOut = free
                        }
                        relay(arrive, st(pos, s, sIn), after, st(q, s, sOut), time, Int32(pos * 3 + sIn)) { Int32($0) }
                    }
                }
            }
        }

        // Walk the back pointers.
        var paths: [Path] = []
        for j in 0..<Int(finals.count[0]) {
            var segments = [Configuration.Segment?](repeating: nil, count: tiers)
            var sys = Int(finals.backA[j]) / 3
            var status = Int(finals.backA[j]) % 3
            var entry = Int(finals.backB[j])
            var end = n
            var source = -1
            while true {
                let a = st(end, sys, status)
                let start = Int(after.backA[a * k + entry]) / 3
                let sIn = Int(after.backA[a * k + entry]) % 3
                let ie = Int(after.backB[a * k + entry])
                segments[p.systems[sys].tier] = .init(system: sys, blocks: start..<end)
                let i = st(start, sys, sIn)
                let prev = Int(arrive.backA[i * k + ie])
                if prev == -1 { source = sys; break }
                if prev <= -2 { source = -2 - prev; break }
                entry = Int(arrive.backB[i * k + ie]) / 3
                status = Int(arrive.backB[i * k + ie]) % 3
                sys = prev
                end = start
            }
            paths.append(Path(cost: finals.cost[j], config: Configuration(source: source, segments: segments)))
        }
        return paths
    }
}
