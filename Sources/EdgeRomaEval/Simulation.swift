import EdgeFormat
import EdgeRoma
import Foundation

/// Which detector runs next.
public enum Policy: Equatable {
    case roma
    case latency
    case fixed(Int)
    /// In hindsight (knows the labels): per window of `oracleWindowSeconds`, the detector
    /// whose fixed run scores the best streaming AP50 on that window; or the best fixed
    /// detector, if that scores higher overall.
    case oracle

    public static func parse(_ text: String, family: DetectorFamily) throws -> Policy {
        switch text {
        case "roma": return .roma
        case "latency": return .latency
        case "oracle": return .oracle
        default:
            if text.hasPrefix("fixed:") {
                let name = String(text.dropFirst(6))
                guard let d = family.index(named: name) else {
                    throw EdgeError(.invalidArgument, "--policy \(text): no detector '\(name)'; the manifest has: \(family.profiles.map(\.name).joined(separator: ", "))")
                }
                return .fixed(d)
            }
            throw EdgeError(.invalidArgument, "--policy must be roma, latency, fixed:NAME or oracle, got '\(text)'")
        }
    }
}

/// The online policies as a frame loop drives them: the detector to start with and, after
/// each run (the job, its detections, its run time in scenario milliseconds), the detector
/// to run next. Shared by the simulation and the realtime run.
public enum PolicyDriver {
    /// ROMA and the latency policy begin with the most accurate detector on stills (they
    /// see all object sizes first).
    public static func mostAccurate(_ family: DetectorFamily) -> Int {
        var best = 0
        for (d, p) in family.profiles.enumerated() where p.ap50 > family.profiles[best].ap50 { best = d }
        return best
    }

    public static func make(_ policy: Policy, family: DetectorFamily, scenario: Scenario) -> (first: Int, next: (Job, [Detection], Double) -> Int) {
        let start = mostAccurate(family)
        switch policy {
        case .fixed(let d):
            return (d, { _, _, _ in d })
        case .roma:
            var roma = RomaSelector(profiles: family.profiles, bins: family.bins, initial: start)
            return (start, { job, dets, ms in
                roma.observe(dets, by: job.detector, frame: job.frame, latencyMs: ms, intervalMs: 1000 * scenario.interval(frame: job.frame))
            })
        case .latency:
            var lat = LatencyOnlySelector(profiles: family.profiles, initial: start)
            return (start, { job, _, ms in lat.observe(latencyMs: ms, intervalMs: 1000 * scenario.interval(frame: job.frame)) })
        case .oracle:
            preconditionFailure("the oracle is not an online policy")
        }
    }
}

/// Latency of one run in the simulation: the profiled distribution (log-normal through the
/// median and p90 measured by `edgec bench`), times `scale` (to emulate a slower device),
/// divided by the share of the core the detector gets in the frame's segment (1 - cpu_load).
/// Seeded: the same seed gives the same run times.
public struct LatencyModel {
    public var scale: Double
    var state: UInt64

    public init(scale: Double, seed: UInt64) {
        self.scale = scale
        state = seed &+ 0x9E37_79B9_7F4A_7C15
    }

    mutating func uniform() -> Double {
        // SplitMix64
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / Double(1 << 53)
    }

    public mutating func sampleMs(_ p: DetectorProfile, cpuLoad: Double) -> Double {
        let sigma = min(1.0, max(0.0, log(max(p.latencyP90Ms, p.latencyMedianMs) / p.latencyMedianMs) / 1.2816))
        let z = (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())   // Box-Muller
        return p.latencyMedianMs * exp(sigma * z) * scale / (1 - cpuLoad)
    }
}

/// One processed frame: which detector ran on which frame, when it started and finished.
public struct Job {
    public var detector: Int
    public var frame: Int
    public var start: Double
    public var finish: Double

    public init(detector: Int, frame: Int, start: Double, finish: Double) {
        self.detector = detector
        self.frame = frame
        self.start = start
        self.finish = finish
    }
}

public struct SegmentResult {
    public var name: String
    public var frames: Int
    public var groundTruth: Int
    public var sap50: Double?
    public var map: Double?
    /// Share of this segment's processed frames per detector.
    public var detectorShare: [Double]
}

public struct StreamResult {
    public var sap50: Double?
    public var map: Double?
    public var switches: Int
    public var jobs: [Job]
    public var segments: [SegmentResult]
    /// For each frame, the job whose output it was judged against (-1: none yet).
    public var servedBy: [Int]
}

/// Replays a scenario in simulated time: frames arrive at their timestamps, the policy's
/// detector takes frames by `StreamSchedule`'s rule, each run takes a sampled latency,
/// and every frame is scored against the newest output finished by its timestamp.
public struct StreamSimulation {
    public let family: DetectorFamily
    public let scenario: Scenario
    public var latencyScale: Double
    public var seed: UInt64
    public var oracleWindowSeconds = 1.0

    public init(family: DetectorFamily, scenario: Scenario, latencyScale: Double, seed: UInt64) {
        self.family = family
        self.scenario = scenario
        self.latencyScale = latencyScale
        self.seed = seed
    }

    public func run(_ policy: Policy) throws -> StreamResult {
        if policy == .oracle { return try oracle() }
        let (first, next) = PolicyDriver.make(policy, family: family, scenario: scenario)
        return try simulate(first: first, next: next)
    }

    /// A run that follows a per-frame detector schedule (the oracle's).
    func run(schedule: [Int]) throws -> StreamResult {
        try simulate(first: schedule.first ?? 0) { job, _, _ in
            schedule[min(schedule.count - 1, job.frame + 1)]
        }
    }

    func simulate(first: Int, next: (Job, [Detection], Double) -> Int) throws -> StreamResult {
        var model = LatencyModel(scale: latencyScale, seed: seed)
        var jobs: [Job] = []
        var detector = first
        var job = StreamSchedule.nextStart(freeAt: 0, lastStarted: -1, timestamps: scenario.timestamps)
        var switches = 0
        while let j = job {
            let load = scenario.segments[scenario.segmentOfFrame[j.frame]].cpuLoad
            let ms = model.sampleMs(family.profiles[detector], cpuLoad: load)
            let done = Job(detector: detector, frame: j.frame, start: j.start, finish: j.start + ms / 1000)
            jobs.append(done)
            let dets = try family.detections(detector, frame: j.frame, in: scenario)
            let chosen = next(done, dets, ms)
            if chosen != detector { switches += 1 }
            detector = chosen
            job = StreamSchedule.nextStart(freeAt: done.finish, lastStarted: j.frame, timestamps: scenario.timestamps)
        }
        return try score(jobs: jobs, switches: switches)
    }

    func score(jobs: [Job], switches: Int) throws -> StreamResult {
        var r = try StreamScore.score(jobs: jobs, timestamps: scenario.timestamps, truth: scenario.truth,
                                      segmentOfFrame: scenario.segmentOfFrame, segmentNames: scenario.segments.map(\.name),
                                      detectors: family.count) { job in
            try family.detections(job.detector, frame: job.frame, in: scenario)
        }
        r.switches = switches
        return r
    }

    /// The oracle: the better (by streaming AP50) of the best fixed detector and the run
    /// that follows `oracleSchedule`. AP does not add up over windows, so the stitched
    /// schedule alone can score below a fixed detector; an oracle must not.
    func oracle() throws -> StreamResult {
        let fixed = try (0..<family.count).map { try run(.fixed($0)) }
        let stitched = try run(schedule: try oracleSchedule(fixed))
        var best = stitched
        for r in fixed where (r.sap50 ?? 0) > (best.sap50 ?? 0) { best = r }
        return best
    }

    /// The oracle's per-frame schedule: for each window, the detector whose fixed run
    /// has the best streaming AP50 there (ties: the faster detector).
    func oracleSchedule(_ fixed: [StreamResult]) throws -> [Int] {
        var schedule = [Int](repeating: 0, count: scenario.frameCount)
        var start = 0
        while start < scenario.frameCount {
            var end = start
            while end < scenario.frameCount && scenario.timestamps[end] < scenario.timestamps[start] + oracleWindowSeconds - 1e-9 { end += 1 }
            var best = -1, bestAP = -1.0
            let byLatency = (0..<family.count).sorted { family.profiles[$0].latencyMedianMs < family.profiles[$1].latencyMedianMs }
            for d in byLatency {
                var window = APSet()
                for k in start..<end {
                    let j = fixed[d].servedBy[k]
                    let dets = j >= 0 ? try family.detections(fixed[d].jobs[j].detector, frame: fixed[d].jobs[j].frame, in: scenario) : []
                    window.add(dets, truth: scenario.truth[k])
                }
                let ap = window.ap50 ?? 0
                if ap > bestAP + 1e-12 { best = d; bestAP = ap }
            }
            for k in start..<end { schedule[k] = best }
            start = end
        }
        return schedule
    }
}

/// Streaming AP: frame k is judged against the newest job finished by its timestamp (a
/// job finishing exactly at the timestamp counts); before the first output, against no
/// detections at all, so its ground truth counts as missed.
public enum StreamScore {
    public static func score(jobs: [Job], timestamps: [Double], truth: [[Box]], segmentOfFrame: [Int], segmentNames: [String],
                             detectors: Int, detections: (Job) throws -> [Detection]) throws -> StreamResult {
        precondition(timestamps.count == truth.count && truth.count == segmentOfFrame.count)
        var all = APSet()
        var perSegment = segmentNames.map { _ in APSet() }
        var servedBy = [Int](repeating: -1, count: timestamps.count)
        // jobs run one after another, so their finish times ascend
        var j = -1
        for k in 0..<timestamps.count {
            while j + 1 < jobs.count && jobs[j + 1].finish <= timestamps[k] + 1e-9 { j += 1 }
            servedBy[k] = j
            let dets = j >= 0 ? try detections(jobs[j]) : []
            all.add(dets, truth: truth[k])
            perSegment[segmentOfFrame[k]].add(dets, truth: truth[k])
        }
        var segments: [SegmentResult] = []
        for (i, name) in segmentNames.enumerated() {
            var share = [Double](repeating: 0, count: detectors)
            let mine = jobs.filter { segmentOfFrame[$0.frame] == i }
            for job in mine { share[job.detector] += 1 / Double(mine.count) }
            segments.append(SegmentResult(name: name, frames: segmentOfFrame.filter { $0 == i }.count, groundTruth: perSegment[i].groundTruth,
                                          sap50: perSegment[i].ap50, map: perSegment[i].map, detectorShare: share))
        }
        return StreamResult(sap50: all.ap50, map: all.map, switches: 0, jobs: jobs, segments: segments, servedBy: servedBy)
    }
}
