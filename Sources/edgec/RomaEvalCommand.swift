import ArgumentParser
import EdgeFormat
import EdgeRomaEval
import EdgeTrust
import Foundation

struct RomaEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roma-eval",
        abstract: "Replay a ROMA scenario with a detector-selection policy and score streaming AP.",
        discussion: """
            Frames arrive at their timestamps; the policy's detector takes the newest frame when
            it is free; every frame is matched against the newest detection output finished by
            its timestamp (streaming AP, Li, Wang & Ramanan, ECCV 2020): AP at IoU 0.5 (sap50)
            and mAP over IoU 0.5:0.95 (map), overall and per segment.

            Policies: roma (the run-time accuracy model, Sources/EdgeRoma), latency (the most
            accurate detector that keeps up with the frame rate), fixed:NAME, oracle (knows the labels: per
            --oracle-window, the detector whose fixed run scores best there, or the best fixed
            detector if that scores higher overall).

            --mode simulated: detections come from running each detector (our runtime) on the
            frames it is given; run times are drawn from each detector's profiled latency
            (edgec bench) times --latency-scale, divided by (1 - cpu_load) of the segment.
            Reproducible for a given --seed.

            --mode realtime: frames are released against the wall clock (--speedup K plays the
            video K times faster, emulating a core K times slower than this one), the detectors
            run for real in this process (or, with --to and --key, on an edged serving them),
            and frames are scored against the outputs that had actually finished. cpu_load
            segments are realised by a competing process pinned to --cpu that spins for that
            share of every 10 ms. The oracle is not available (it needs the labels in hindsight).
            """)

    @Option(help: "The detectors' manifest.json (Tests/Fixtures/detectors/manifest.json).")
    var detectors: String

    @Option(help: "A scenario directory (Tools/roma_scenario.py -o DIR).")
    var scenario: String

    @Option(help: "roma | latency | fixed:NAME | oracle")
    var policy: String

    @Option(help: "simulated | realtime")
    var mode: String = "simulated"

    @Option(name: .customLong("latency-scale"), help: "simulated: multiply profiled latencies (emulates a slower device; 1 = this machine).")
    var latencyScale: Double = 25

    @Option(help: "realtime: play the video this many times faster than its timestamps (emulates a slower device).")
    var speedup: Double = 1

    @Option(help: "realtime: the core the detectors and the competing load share.")
    var cpu: Int = 0

    @Option(name: .customLong("to"), help: ArgumentHelp("realtime: run the detectors on this agent (policies roma and fixed:NAME).", valueName: "HOST:PORT"))
    var address: String?

    @Option(help: ArgumentHelp("realtime --to: secret key that signs the policy and activation commands.", valueName: "K.key"))
    var key: String?

    @Option(help: "Seed of the latency draws.")
    var seed: UInt64 = 1

    @Option(name: .customLong("oracle-window"), help: "Seconds per oracle decision window.")
    var oracleWindow: Double = 1

    @Flag(name: .customLong("json"), help: "Print JSON.")
    var json = false

    func validate() throws {
        guard mode == "simulated" || mode == "realtime" else { throw ValidationError("--mode must be simulated or realtime") }
        guard latencyScale > 0, latencyScale.isFinite else { throw ValidationError("--latency-scale must be positive") }
        guard oracleWindow > 0 else { throw ValidationError("--oracle-window must be positive") }
        guard speedup > 0, speedup <= 1000, speedup.isFinite else { throw ValidationError("--speedup must be in (0, 1000]") }
        guard cpu >= 0, cpu < 4096 else { throw ValidationError("--cpu must be a core number") }
        guard address == nil || mode == "realtime" else { throw ValidationError("--to works with --mode realtime only") }
        guard address == nil || key != nil else { throw ValidationError("--to needs --key to sign the policy commands") }
    }

    func run() throws {
        try failing {
            let family = try DetectorFamily(manifest: detectors)
            let scene = try Scenario(directory: scenario)
            let chosen = try Policy.parse(policy, family: family)
            if !json { note("\(scene.frameCount) frames, \(family.count) detectors, policy \(policy), \(mode)") }
            let r: StreamResult
            var extra: [String: Any] = ["latency_scale": latencyScale, "seed": seed]
            var segmentRunMs: [Double?] = []
            if mode == "realtime" {
                var rt = RealtimeRun(family: family, scenario: scene, speedup: speedup, cpu: cpu)
                if let a = address {
                    rt.agent = (a, try KeyFile.readSecret(key!))
                }
                let out = try agentFailing { try rt.run(chosen) }
                r = out.stream
                segmentRunMs = out.segmentRunMs
                extra = ["speedup": speedup, "cpu": cpu, "late_starts": out.lateStarts, "agent": address ?? NSNull()]
            } else {
                var sim = StreamSimulation(family: family, scenario: scene, latencyScale: latencyScale, seed: seed)
                sim.oracleWindowSeconds = oracleWindow
                r = try sim.run(chosen)
            }
            let names = family.profiles.map(\.name)
            func num(_ v: Double?) -> Any { v.map { ($0 * 1e4).rounded() / 1e4 } ?? NSNull() }
            var use = [String: Int]()
            for j in r.jobs { use[names[j.detector], default: 0] += 1 }
            let segments: [[String: Any]] = r.segments.enumerated().map { i, s in
                var share = [String: Any]()
                for (d, v) in s.detectorShare.enumerated() where v > 0 { share[names[d]] = (v * 1e3).rounded() / 1e3 }
                var seg: [String: Any] = ["name": s.name, "frames": s.frames, "ground_truth": s.groundTruth,
                                          "sap50": num(s.sap50), "map": num(s.map), "detector_share": share]
                if i < segmentRunMs.count { seg["median_run_ms"] = num(segmentRunMs[i]) }
                return seg
            }
            if json {
                var doc: [String: Any] = ["sap50": num(r.sap50), "map": num(r.map), "switches": r.switches, "per_segment": segments,
                                          "policy": policy, "mode": mode,
                                          "frames": scene.frameCount, "processed_frames": r.jobs.count, "detector_runs": use]
                doc.merge(extra) { a, _ in a }
                print(jsonString(doc))
                return
            }
            print(String(format: "%@: sAP50 %@  mAP %@  switches %d  processed %d of %d frames", policy,
                         r.sap50.map { String(format: "%.4f", $0) } ?? "-", r.map.map { String(format: "%.4f", $0) } ?? "-",
                         r.switches, r.jobs.count, scene.frameCount))
            for s in segments {
                let share = (s["detector_share"] as! [String: Any]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                let run = s["median_run_ms"].map { "  run \($0) ms" } ?? ""
                print("  " + pad(s["name"] as! String, 14) + "sAP50 \(s["sap50"]!)  mAP \(s["map"]!)  [\(share)]\(run)")
            }
        }
    }
}
