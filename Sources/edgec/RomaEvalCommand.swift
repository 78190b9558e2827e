import ArgumentParser
import EdgeFormat
import EdgeRomaEval
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
            Reproducible for a given --seed. (--mode realtime is not implemented yet.)
            """)

    @Option(help: "The detectors' manifest.json (Tests/Fixtures/detectors/manifest.json).")
    var detectors: String

    @Option(help: "A scenario directory (Tools/roma_scenario.py -o DIR).")
    var scenario: String

    @Option(help: "roma | latency | fixed:NAME | oracle")
    var policy: String

    @Option(help: "simulated (realtime is not implemented yet).")
    var mode: String = "simulated"

    @Option(name: .customLong("latency-scale"), help: "Multiply profiled latencies (emulates a slower device; 1 = this machine).")
    var latencyScale: Double = 25

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
    }

    func run() throws {
        try failing {
            guard mode == "simulated" else {
                throw EdgeError(.unsupported, "--mode realtime is not implemented yet; use --mode simulated")
            }
            let family = try DetectorFamily(manifest: detectors)
            let scene = try Scenario(directory: scenario)
            let chosen = try Policy.parse(policy, family: family)
            var sim = StreamSimulation(family: family, scenario: scene, latencyScale: latencyScale, seed: seed)
            sim.oracleWindowSeconds = oracleWindow
            if !json { note("\(scene.frameCount) frames, \(family.count) detectors, policy \(policy)") }
            let r = try sim.run(chosen)
            let names = family.profiles.map(\.name)
            func num(_ v: Double?) -> Any { v.map { ($0 * 1e4).rounded() / 1e4 } ?? NSNull() }
            var use = [String: Int]()
            for j in r.jobs { use[names[j.detector], default: 0] += 1 }
            let segments: [[String: Any]] = r.segments.map { s in
                var share = [String: Any]()
                for (d, v) in s.detectorShare.enumerated() where v > 0 { share[names[d]] = (v * 1e3).rounded() / 1e3 }
                return ["name": s.name, "frames": s.frames, "ground_truth": s.groundTruth,
                        "sap50": num(s.sap50), "map": num(s.map), "detector_share": share]
            }
            if json {
                print(jsonString(["sap50": num(r.sap50), "map": num(r.map), "switches": r.switches, "per_segment": segments,
                                  "policy": policy, "mode": mode, "latency_scale": latencyScale, "seed": seed,
                                  "frames": scene.frameCount, "processed_frames": r.jobs.count, "detector_runs": use] as [String: Any]))
                return
            }
            print(String(format: "%@: sAP50 %@  mAP %@  switches %d  processed %d of %d frames", policy,
                         r.sap50.map { String(format: "%.4f", $0) } ?? "-", r.map.map { String(format: "%.4f", $0) } ?? "-",
                         r.switches, r.jobs.count, scene.frameCount))
            for s in segments {
                let share = (s["detector_share"] as! [String: Any]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("  " + pad(s["name"] as! String, 14) + "sAP50 \(s["sap50"]!)  mAP \(s["map"]!)  [\(share)]")
            }
        }
    }
}
