import EdgeRoma
import EdgeWire

/// ROMA inside the agent: the served detector's outputs are decoded (the evaluator's
/// decoder, EdgeRoma) and fed, with the agent's own measured run time, to the same
/// `RomaSelector` `edgec roma-eval` uses. When it picks another detector the agent swaps
/// to it asynchronously (Agent.romaSwapLoop), so no request waits for a cold load.
///
/// Frames are numbered by the agent's clock: frame = time since the policy was set divided
/// by the stream's frame interval. A streaming client sends the newest frame whenever its
/// previous reply arrives, so the gap between two requests is the gap between their frames.
struct RomaPolicy {
    let spec: RomaPolicySpec
    let decoder: DetectionDecoder
    var selector: RomaSelector
    let startNanos: UInt64
    private(set) var outputs: UInt64 = 0
    /// The last frame number given to the selector (frames must increase for speed samples).
    private var lastFrame = -1

    static let maxDetectors = 32

    /// Validates the spec; `active` is the variant serving now (the initial detector when
    /// it is one of the family, else the most accurate one on stills).
    init(spec: RomaPolicySpec, active: String, now: UInt64) throws(WireError) {
        let n = spec.detectors.count
        guard n >= 1, n <= RomaPolicy.maxDetectors else { throw WireError(.badRequest, "ROMA policy: 1 to \(RomaPolicy.maxDetectors) detectors, got \(n)") }
        guard spec.sizeBinsPx.count <= 16 else { throw WireError(.badRequest, "ROMA policy: at most 16 size bin edges") }
        var prev: Float = 0
        for e in spec.sizeBinsPx {
            guard e > prev, e < 1e5 else { throw WireError(.badRequest, "ROMA policy: size bin edges must be positive and ascending") }
            prev = e
        }
        guard spec.frameWidth >= 1, spec.frameWidth <= 16384, spec.frameHeight >= 1, spec.frameHeight <= 16384 else {
            throw WireError(.badRequest, "ROMA policy: frame size out of range")
        }
        guard spec.scoreMin > 0, spec.scoreMin < 1 else { throw WireError(.badRequest, "ROMA policy: score_min must be in (0, 1)") }
        guard spec.maxDetections >= 1, spec.maxDetections <= 1024 else { throw WireError(.badRequest, "ROMA policy: max_detections must be 1..1024") }
        guard spec.frameIntervalMs > 0, spec.frameIntervalMs <= 60_000 else {
            throw WireError(.badRequest, "ROMA policy: frame_interval_ms must be in (0, 60000]")
        }
        guard !spec.output.isEmpty else { throw WireError(.badRequest, "ROMA policy: no output tensor name") }
        let bins = SizeBins(edges: spec.sizeBinsPx)
        var profiles: [DetectorProfile] = []
        for (i, d) in spec.detectors.enumerated() {
            guard !d.name.isEmpty else { throw WireError(.badRequest, "ROMA policy: detector \(i) has no name") }
            for j in 0..<i where spec.detectors[j].name == d.name {
                throw WireError(.badRequest, "ROMA policy: detector '\(d.name)' is listed twice")
            }
            guard d.ap50BySize.count == bins.count, d.recallBySize.count == bins.count, d.betaBySize.count == bins.count else {
                throw WireError(.badRequest, "ROMA policy: detector '\(d.name)' needs \(bins.count) values per size column")
            }
            for v in d.ap50BySize + d.recallBySize where !(v >= 0 && v <= 1) {
                throw WireError(.badRequest, "ROMA policy: detector '\(d.name)' has an AP or recall outside [0, 1]")
            }
            for v in d.betaBySize where !(v >= 0 && v < 100) {
                throw WireError(.badRequest, "ROMA policy: detector '\(d.name)' has a beta outside [0, 100)")
            }
            guard d.ap50 >= 0, d.ap50 <= 1, d.latencyMedianMs > 0, d.latencyMedianMs < 1e7,
                  d.latencyP90Ms >= 0, d.latencyP90Ms < 1e7 else {
                throw WireError(.badRequest, "ROMA policy: detector '\(d.name)' has an AP or latency out of range")
            }
            var p = d
            p.latencyP90Ms = Swift.max(d.latencyP90Ms, d.latencyMedianMs)
            profiles.append(p)
        }
        var initial = 0
        for (i, p) in profiles.enumerated() where p.ap50 > profiles[initial].ap50 { initial = i }
        for (i, p) in profiles.enumerated() where p.name == active { initial = i }
        self.spec = spec
        decoder = DetectionDecoder(frameWidth: Float(spec.frameWidth), frameHeight: Float(spec.frameHeight),
                                   scoreMin: spec.scoreMin, maxDetections: spec.maxDetections)
        selector = RomaSelector(profiles: profiles, bins: bins, initial: initial)
        startNanos = now
    }

    func index(of name: String) -> Int? {
        for (i, d) in spec.detectors.enumerated() where d.name == name { return i }
        return nil
    }

    var currentName: String { spec.detectors[selector.current].name }

    /// Detector `running` (index) produced `detections` at `now` in `runMs`; returns the
    /// name of the detector ROMA wants to serve next.
    mutating func observe(_ detections: [Detection], running: Int, now: UInt64, runMs: Double) -> String {
        var frame = Int(Double(now &- startNanos) / 1e6 / spec.frameIntervalMs)
        if frame <= lastFrame { frame = lastFrame + 1 }
        lastFrame = frame
        outputs += 1
        let next = selector.observe(detections, by: running, frame: frame, latencyMs: runMs, intervalMs: spec.frameIntervalMs)
        return spec.detectors[next].name
    }

    func estimates() -> [RomaEstimate] {
        let acc = selector.estimates(intervalMs: spec.frameIntervalMs)
        var out: [RomaEstimate] = []
        for (i, d) in spec.detectors.enumerated() {
            out.append(RomaEstimate(name: d.name, accuracy: Double(acc[i]), latencyMs: selector.latencyNow(i)))
        }
        return out
    }
}
