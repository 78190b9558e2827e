import CEdgeSupport

/// ROMA's run-time accuracy model: which detector would be most accurate *now*, judged
/// from the running detector's own outputs and latency, without labels.
///
/// For every detector d, with the scene's size shares h_b and speeds v_b (pixels per
/// frame, `SceneObserver`), d's latency now L_d and the frame interval T:
///
///     ages_d     = StreamSchedule.staleness(L_d quantiles, T)  how many frames are judged
///                                                             against an output computed
///                                                             `age` frames earlier
///     accuracy_d = sum_b h_b * AP50_d,b * mean over frames of exp(-beta_d,b * v_b * age)
///
/// i.e. d's still-frame AP on this size mix, degraded by how far objects move while d
/// computes (beta fitted offline per size bin). L_d is d's profiled latency scaled by how
/// much slower than its own profile the running detector is now (`ContentionScale`).
///
/// Hysteresis: the selector moves to the best detector only when it beats the running
/// one by `margin` (relative) for `patience` consecutive outputs, and not within
/// `holdOutputs` outputs of the previous switch.
public struct RomaSelector {
    public let profiles: [DetectorProfile]
    public var margin: Float = 0.1
    public var patience = 3
    public var holdOutputs = 8
    public private(set) var current: Int
    public private(set) var observer: SceneObserver
    public var contention = ContentionScale()
    public private(set) var switches = 0
    var streak = 0
    var sinceSwitch = 0
    var candidate = -1

    public init(profiles: [DetectorProfile], bins: SizeBins, initial: Int) {
        precondition(!profiles.isEmpty && initial >= 0 && initial < profiles.count)
        self.profiles = profiles
        self.current = initial
        self.observer = SceneObserver(bins: bins)
    }

    /// The detector running now is `d` without the selector having chosen it (an operator
    /// activated it, or a switch failed): continue from there; not counted as a switch.
    public mutating func follow(_ d: Int) {
        precondition(d >= 0 && d < profiles.count)
        guard d != current else { return }
        current = d
        streak = 0
        candidate = -1
        sinceSwitch = 0
    }

    /// Latency each detector would have now, milliseconds.
    public func latencyNow(_ d: Int) -> Double { profiles[d].latencyMedianMs * contention.scale }

    /// Detector d's run times now as five quantiles (10, 30, 50, 70, 90%) of a log-normal
    /// through its profiled median and p90 (sigma capped at 1, as the simulation draws
    /// them), scaled by the contention now; interleaved so a cycled run sees the spread.
    public func latencyQuantiles(_ d: Int) -> [Double] {
        let p = profiles[d]
        let sigma = Swift.min(1.0, Swift.max(0.0, log(Swift.max(p.latencyP90Ms, p.latencyMedianMs) / p.latencyMedianMs) / 1.2816))
        let z: [Double] = [0, 1.2816, -1.2816, 0.5244, -0.5244]
        var out: [Double] = []
        for q in z { out.append(latencyNow(d) * exp(sigma * q)) }
        return out
    }

    /// The estimated real-time accuracy of every detector (0 when nothing was seen yet):
    /// per size bin, still AP times the displacement penalty averaged over the ages the
    /// frames would see with d's latency spread (not at the mean age: the penalty is convex).
    public func estimates(intervalMs: Double) -> [Float] {
        let share = observer.sizeShare, speed = observer.speedBySize
        var out: [Float] = []
        for (d, p) in profiles.enumerated() {
            let ages = StreamSchedule.staleness(latencies: latencyQuantiles(d), interval: intervalMs)
            var frames = 0
            for c in ages { frames += c }
            var acc: Float = 0
            for b in 0..<share.count where share[b] > 0 {
                let ap = b < p.ap50BySize.count ? p.ap50BySize[b] : 0
                let beta = b < p.betaBySize.count ? p.betaBySize[b] : 0
                var kept: Float = 0
                for (age, c) in ages.enumerated() where c > 0 { kept += Float(c) * expf(-beta * speed[b] * Float(age)) }
                acc += share[b] * ap * (frames > 0 ? kept / Float(frames) : 0)
            }
            out.append(acc)
        }
        return out
    }

    /// Detector `running` finished `frame` in `latencyMs`; returns the detector to run next.
    /// `running` differs from `current` while a switch the selector asked for is still on
    /// its way (the agent swaps asynchronously): such outputs update the scene and latency
    /// estimates, but no new decision is taken until the chosen detector runs.
    public mutating func observe(_ detections: [Detection], by running: Int, frame: Int, latencyMs: Double, intervalMs: Double) -> Int {
        precondition(running >= 0 && running < profiles.count)
        observer.observe(detections, frame: frame, recall: profiles[running].recallBySize)
        contention.update(measuredMs: latencyMs, profiledMs: profiles[running].latencyMedianMs)
        guard running == current else { return current }
        sinceSwitch += 1
        let est = estimates(intervalMs: intervalMs)
        var best = current
        for d in 0..<est.count where est[d] > est[best] { best = d }
        guard best != current, est[best] > est[current] * (1 + margin), sinceSwitch >= holdOutputs else {
            streak = 0
            candidate = -1
            return current
        }
        streak = best == candidate ? streak + 1 : 1
        candidate = best
        if streak >= patience {
            current = best
            switches += 1
            streak = 0
            sinceSwitch = 0
            candidate = -1
        }
        return current
    }
}

/// The latency-only baseline: the most accurate detector (still-frame AP50) whose latency
/// now fits in one frame interval, so it keeps up with the stream; the fastest one if
/// none does. Latency now is measured the same way as ROMA's (contention scale).
public struct LatencyOnlySelector {
    public let profiles: [DetectorProfile]
    public private(set) var current: Int
    public var contention = ContentionScale()
    public private(set) var switches = 0

    public init(profiles: [DetectorProfile], initial: Int) {
        precondition(!profiles.isEmpty && initial >= 0 && initial < profiles.count)
        self.profiles = profiles
        self.current = initial
    }

    public mutating func observe(latencyMs: Double, intervalMs: Double) -> Int {
        contention.update(measuredMs: latencyMs, profiledMs: profiles[current].latencyMedianMs)
        var pick = -1, fastest = 0
        for (d, p) in profiles.enumerated() {
            if p.latencyMedianMs < profiles[fastest].latencyMedianMs { fastest = d }
            if p.latencyMedianMs * contention.scale <= intervalMs && (pick < 0 || p.ap50 > profiles[pick].ap50) { pick = d }
        }
        let next = pick >= 0 ? pick : fastest
        if next != current { switches += 1 }
        current = next
        return current
    }
}

/// How much slower than profiled the running detector is now: the median of the last
/// `window` ratios measured / profiled latency (a median, because single runs have heavy
/// tails: one slow run must not make a policy switch). Other detectors are assumed to
/// slow down by the same factor (CPU contention slows all of them alike).
public struct ContentionScale {
    public let window: Int
    var ratios: [Double] = []
    var next = 0
    public private(set) var scale = 1.0

    public init(window: Int = 9) {
        precondition(window > 0)
        self.window = window
    }

    public mutating func update(measuredMs: Double, profiledMs: Double) {
        guard profiledMs > 0, measuredMs > 0 else { return }
        let r = measuredMs / profiledMs
        if ratios.count < window { ratios.append(r) } else { ratios[next] = r }
        next = (next + 1) % window
        var sorted = ratios
        // insertion sort: a handful of entries
        for i in 1..<max(1, sorted.count) {
            let x = sorted[i]
            var j = i - 1
            while j >= 0 && sorted[j] > x {
                sorted[j + 1] = sorted[j]
                j -= 1
            }
            sorted[j + 1] = x
        }
        let n = sorted.count
        scale = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
