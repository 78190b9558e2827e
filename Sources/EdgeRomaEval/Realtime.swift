import CEdgeCpuLoad
import EdgeClient
import EdgeFormat
import EdgeRoma
import EdgeWire
import Foundation

/// `roma-eval --mode realtime`: the scenario is played against the wall clock and the
/// detectors run for real, so the streaming AP is scored on actual finish times.
///
/// Frames are released at their timestamps divided by `speedup` (speedup K plays the
/// video K times faster: on this host the detectors take 0.1-1 ms, far below a 33 ms
/// frame interval, and K emulates a core K times slower, like the simulation's
/// --latency-scale). The detector loop follows StreamSchedule's rule: when free, take the
/// newest released frame it has not processed, or wait for the next one. Run times the
/// policies see are measured (wall time x speedup, in scenario milliseconds).
///
/// cpu_load: the loop is pinned to core `cpu`, and a child process pinned to the same
/// core spins for cpu_load of every load period (10 ms of scenario time, so 10 / speedup
/// ms of wall time, at least 1 ms) during the segment and sleeps the rest
/// (CEdgeCpuLoad), at nice -10 when allowed so it preempts the detectors while it spins.
/// Other programs on the machine compete too: the per-segment median run times in the
/// result say what the detectors actually got.
///
/// With `agent` set, frames go to an edged over the wire instead (the detector is
/// whatever the agent serves: `roma` sets the agent's ROMA policy, `fixed:NAME` activates
/// NAME with ROMA off); its outputs are decoded here with the family's decoder. Pin the
/// agent to the same core (taskset) for the load to compete with it.
public struct RealtimeRun {
    public let family: DetectorFamily
    public let scenario: Scenario
    public var speedup: Double
    public var cpu: Int
    /// Wall milliseconds per spin/sleep cycle of the load process.
    public var loadPeriodMs: Double { Swift.max(1, 10 / speedup) }
    public var agent: (address: String, key: [UInt8])? = nil

    public init(family: DetectorFamily, scenario: Scenario, speedup: Double, cpu: Int) {
        self.family = family
        self.scenario = scenario
        self.speedup = speedup
        self.cpu = cpu
    }

    public struct Result {
        public var stream: StreamResult
        /// Median wall-clock run time (ms, not scaled) of the runs started in each segment.
        public var segmentRunMs: [Double?]
        /// Frames whose release the loop was late for by more than one frame interval.
        public var lateStarts: Int
    }

    /// Wall seconds since `t0` as scenario seconds.
    func scenarioTime(_ ns: UInt64, since t0: UInt64) -> Double { Double(ns &- t0) / 1e9 * speedup }

    public func run(_ policy: Policy) throws -> Result {
        if policy == .oracle {
            throw EdgeError(.invalidArgument, "--policy oracle needs the labels in hindsight: use --mode simulated")
        }
        let inputs = (0..<scenario.frameCount).map { scenario.input(frame: $0) }
        var detect: (Int, Int) throws -> (detector: Int, detections: [Detection])
        var first = 0
        var next: (Job, [Detection], Double) -> Int = { j, _, _ in j.detector }
        if let a = agent {
            let conn = try AgentConnection(address: a.address)
            try prepareAgent(policy, a)
            let shape = [1, 1, scenario.height, scenario.width]
            detect = { [family] _, k in
                let r = try AgentClient(address: a.address).infer([("frame", NpyArray(shape: shape, data: inputs[k]))], on: conn)
                guard let d = family.index(named: r.variant) else {
                    throw EdgeError(.format, "the agent served '\(r.variant)', which is not a detector of the manifest")
                }
                guard let t = r.outputs.first, t.shape.count == 4, t.shape[1] == 5 else {
                    throw EdgeError(.shape, "the agent's output is not a [1, 5, rows, cols] map")
                }
                let maps = try WireTensors.floats(t)
                return (d, maps.withUnsafeBufferPointer { family.decoder.decode($0, rows: t.shape[2], cols: t.shape[3]) })
            }
            _ = try detect(0, 0)   // warm the connection and the agent
        } else {
            let driver = PolicyDriver.make(policy, family: family, scenario: scenario)
            first = driver.first
            next = driver.next
            detect = { [family] d, k in (d, try family.detect(d, input: inputs[k])) }
            for d in 0..<family.count { _ = try family.detect(d, input: inputs[0]) }   // compile and warm every detector
        }

        _ = edge_cpu_pin_self(Int32(cpu))
        let t0 = edge_cpu_load_now_ns() + 50_000_000   // the load process needs a moment to start
        var loadPid = try startLoad(t0: t0)
        defer { edge_cpu_load_stop(loadPid) }   // on errors
        while edge_cpu_load_now_ns() < t0 { usleep(1000) }

        var jobs: [Job] = []
        var found: [Int: [Detection]] = [:]   // job index -> detections
        var detector = first
        var lastStarted = -1
        var switches = 0
        var late = 0
        while true {
            let now = scenarioTime(edge_cpu_load_now_ns(), since: t0)
            guard let slot = StreamSchedule.nextStart(freeAt: now, lastStarted: lastStarted, timestamps: scenario.timestamps) else { break }
            if slot.start > now { waitUntil(t0 + UInt64(slot.start / speedup * 1e9)) }
            if now - scenario.timestamps[slot.frame] > scenario.interval(frame: slot.frame) { late += 1 }
            let a = edge_cpu_load_now_ns()
            let out = try detect(detector, slot.frame)
            let b = edge_cpu_load_now_ns()
            let job = Job(detector: out.detector, frame: slot.frame, start: scenarioTime(a, since: t0), finish: scenarioTime(b, since: t0))
            found[jobs.count] = out.detections
            jobs.append(job)
            lastStarted = slot.frame
            let chosen = agent == nil ? next(job, out.detections, Double(b - a) / 1e6 * speedup) : out.detector
            if agent != nil, jobs.count > 1, jobs[jobs.count - 2].detector != out.detector { switches += 1 }
            if agent == nil, chosen != detector { switches += 1 }
            detector = chosen
        }
        edge_cpu_load_stop(loadPid)
        loadPid = -1

        var indexOf: [Int: Int] = [:]   // job start time is unique; key by frame (each frame runs at most once)
        for (i, j) in jobs.enumerated() { indexOf[j.frame] = i }
        var r = try StreamScore.score(jobs: jobs, timestamps: scenario.timestamps, truth: scenario.truth,
                                      segmentOfFrame: scenario.segmentOfFrame, segmentNames: scenario.segments.map(\.name),
                                      detectors: family.count) { job in found[indexOf[job.frame]!] ?? [] }
        r.switches = switches
        var runMs: [Double?] = []
        for i in scenario.segments.indices {
            let ms = jobs.filter { scenario.segmentOfFrame[$0.frame] == i }.map { ($0.finish - $0.start) / speedup * 1000 }.sorted()
            runMs.append(ms.isEmpty ? nil : ms[ms.count / 2])
        }
        return Result(stream: r, segmentRunMs: runMs, lateStarts: late)
    }

    /// Sets the agent up for the policy: ROMA with the stream's wall-clock frame interval,
    /// or a fixed detector with ROMA off.
    func prepareAgent(_ policy: Policy, _ a: (address: String, key: [UInt8])) throws {
        let c = AgentClient(address: a.address)
        switch policy {
        case .roma:
            let start = family.profiles[PolicyDriver.mostAccurate(family)].name
            try c.command(.roma(.off), key: a.key)
            try c.command(.activate(name: start), key: a.key)
            let fps = scenario.segments.first?.fps ?? 30
            try c.command(.roma(family.romaPolicy(frameIntervalMs: 1000 / fps / speedup)), key: a.key)
        case .fixed(let d):
            try c.command(.roma(.off), key: a.key)
            try c.command(.activate(name: family.profiles[d].name), key: a.key)
        case .latency, .oracle:
            throw EdgeError(.invalidArgument, "--to: only --policy roma or fixed:NAME run on the agent")
        }
    }

    /// The competing load process for the scenario's cpu_load segments (-1 when none).
    func startLoad(t0: UInt64) throws -> pid_t {
        var starts: [Double] = [], ends: [Double] = [], shares: [Double] = []
        for s in scenario.segments where s.cpuLoad > 0 && s.frameCount > 0 {
            let last = s.firstFrame + s.frameCount - 1
            starts.append(scenario.timestamps[s.firstFrame] / speedup)
            ends.append((scenario.timestamps[last] + 1 / s.fps) / speedup)
            shares.append(s.cpuLoad)
        }
        guard !starts.isEmpty else { return -1 }
        let pid = edge_cpu_load_start(Int32(cpu), Int32(starts.count), starts, ends, shares, loadPeriodMs / 1000, -10, t0)
        guard pid > 0 else { throw EdgeError(.io, "cannot start the CPU load process") }
        return pid
    }

    /// Sleeps until the CLOCK_MONOTONIC instant `t` (ns), spinning the last 0.2 ms.
    func waitUntil(_ t: UInt64) {
        while true {
            let now = edge_cpu_load_now_ns()
            if now >= t { return }
            let left = t - now
            if left > 300_000 { usleep(UInt32((left - 200_000) / 1000)) }
        }
    }
}
