/// Which system runs which blocks: per tier of the chain, nothing or one contiguous run.
public struct Configuration: Hashable {
    public struct Segment: Hashable {
        public var system: Int
        public var blocks: Range<Int>
        public init(system: Int, blocks: Range<Int>) {
            self.system = system
            self.blocks = blocks
        }
    }

    /// The first tier's system: where the input comes from, even when it runs nothing.
    public var source: Int
    public var segments: [Segment?]

    public init(source: Int, segments: [Segment?]) {
        self.source = source
        self.segments = segments
    }
}

/// A configuration's cost, computed in Scission's order of floating-point operations so
/// that times agree to the last bit: each tier's blocks summed in order, tiers summed in
/// chain order, then the transfers (ping + bytes / bandwidth per hop) added.
public struct Evaluation {
    public struct Hop {
        public var from: Int
        public var to: Int
        public var bytes: Double
        public var seconds: Double
    }

    public var configuration: Configuration
    /// Per tier (0 when unused).
    public var computeSeconds: [Double]
    public var totalComputeSeconds: Double
    public var hops: [Hop]
    public var transferSeconds: Double
    public var totalSeconds: Double
    /// Per tier: bytes its system sends on (the first tier sends the input when it runs nothing).
    public var uploadBytes: [Double]
    public var transferBytes: Double
    /// The slowest stage of a pipelined stream: one tier's compute or one hop.
    public var bottleneckSeconds: Double
    public var text: String
    /// The transfer option of its cuts; nil when no cut is crossed after a block (the
    /// whole model on one system, or only the input sent on), or with no option asked for.
    public var transfer: TransferOption? = nil
}

extension PlanProblem {
    public func evaluate(_ c: Configuration) -> Evaluation {
        var compute = [Double](repeating: 0, count: tiers.count)
        var upload = [Double](repeating: 0, count: tiers.count)
        var total = 0.0
        var bottleneck = 0.0
        for (t, seg) in c.segments.enumerated() {
            guard let seg else { continue }
            var s = 0.0
            for b in seg.blocks { s += systems[seg.system].seconds[b] }
            compute[t] = s
            bottleneck = max(bottleneck, s)
        }
        for t in tiers.indices { total += compute[t] }

        // What each tier sends on, with Scission's arithmetic: its last output (the input
        // for a first tier that runs nothing), nothing from the chain's last tier, and
        // nothing from the last tier whose compute is not exactly 0 s - the same as "the
        // last tier sends nothing" unless blocks were measured at 0.0 s.
        var lastBusy = 0
        for t in tiers.indices where compute[t] != 0 { lastBusy = t }
        for (t, seg) in c.segments.enumerated() {
            if let seg { upload[t] = systems[seg.system].outputBytes[seg.blocks.upperBound - 1] } else if t == 0 { upload[t] = inputBytes }
        }
        upload[tiers.count - 1] = 0
        upload[lastBusy] = 0

        var hops: [Evaluation.Hop] = []
        var holder = c.source
        var holderTier = 0
        for (t, seg) in c.segments.enumerated() {
            guard let seg else { continue }
            if t > 0 {
                let bytes = upload[holderTier]
                let sec = hopSeconds(holder, seg.system, after: seg.blocks.lowerBound - 1, bytes: bytes)
                hops.append(.init(from: holder, to: seg.system, bytes: bytes, seconds: sec))
                bottleneck = max(bottleneck, sec)
            }
            holder = seg.system
            holderTier = t
        }
        var transfer = 0.0
        for h in hops { transfer += h.seconds }
        var sent = 0.0
        for u in upload { sent += u }
        var e = Evaluation(configuration: c, computeSeconds: compute, totalComputeSeconds: total, hops: hops,
                           transferSeconds: transfer, totalSeconds: total + transfer, uploadBytes: upload,
                           transferBytes: sent, bottleneckSeconds: bottleneck, text: text(c))
        if c.segments.contains(where: { ($0?.blocks.lowerBound ?? 0) > 0 }) { e.transfer = self.transfer }
        return e
    }

    /// Scission's layout: `Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 11, Cloud(6700k(GPU)) = 12 - 25`;
    /// a tier that runs nothing reads `Edge(None) = -1 - -1` (the first tier keeps its system's name).
    public func text(_ c: Configuration) -> String {
        var parts: [String] = []
        for (t, seg) in c.segments.enumerated() {
            let label = TierName.label(tiers[t].tier)
            if let seg {
                parts.append("\(label)(\(systems[seg.system].name)) = \(blockLayers[seg.blocks.lowerBound].first) - \(blockLayers[seg.blocks.upperBound - 1].last)")
            } else {
                parts.append("\(label)(\(t == 0 ? systems[c.source].name : "None")) = -1 - -1")
            }
        }
        return parts.joined(separator: ", ")
    }

    /// Every constraint, checked on a whole configuration (the exhaustive search's rule,
    /// and the final check on what the DP returns).
    public func satisfies(_ e: Evaluation) -> Bool {
        let c = e.configuration
        guard c.segments.count == tiers.count, systems[c.source].tier == 0 else { return false }
        if let s0 = c.segments[0], s0.system != c.source { return false }
        var next = 0
        for (t, seg) in c.segments.enumerated() {
            let req = tiers[t]
            let cr = req.criteria
            guard let seg else {
                if cr.mustBeUsed || !mustBlocks[t].isEmpty { return false }
                if t == 0, !cr.onlySystems.isEmpty || !cr.excludedSystems.isEmpty { return false }
                continue
            }
            guard systems[seg.system].tier == t, allowed[seg.system], !cr.mustBeUnused,
                  seg.blocks.lowerBound == next, !seg.blocks.isEmpty else { return false }
            next = seg.blocks.upperBound
            for b in mustBlocks[t] where !seg.blocks.contains(b) { return false }
            for b in seg.blocks where forbidden[t][b] { return false }
            let sys = systems[seg.system]
            if let cap = sys.memoryBytes {
                var w = 0.0, a = 0.0
                for b in seg.blocks {
                    w += sys.weightBytes![b]
                    a = max(a, sys.arenaBytes![b])
                }
                if w + a > cap { return false }
            }
        }
        guard next == blockCount else { return false }
        for (t, req) in tiers.enumerated() {
            if let cap = req.uploadCapBytes, e.uploadBytes[t] > cap { return false }
            switch req.timeCap {
            case .seconds(let s)?: if e.computeSeconds[t] > s { return false }
            case .percent(let p)?: if !((e.computeSeconds[t] / e.totalComputeSeconds) * 100 <= p) { return false }  // NaN fails, as in Scission
            case nil: break
            }
        }
        return true
    }
}
