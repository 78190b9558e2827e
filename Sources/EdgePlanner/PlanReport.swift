import Foundation

/// How results are printed: Scission's line, and the JSON `edgec partition --json` gives.
public enum PlanReport {
    /// `9.0106s - 2.4087MB - Device(raspi4) = 0 - 6, ...` (without the rank).
    /// With a transfer option: `... - TL pool2` at the end.
    public static func scissionLine(_ e: Evaluation) -> String {
        String(format: "%.4fs - %.4fMB - ", e.totalSeconds, e.transferBytes / 1000 / 1000) + e.text
            + (e.transfer.map { " - TL \($0)" } ?? "")
    }

    public static func textLines(_ results: [Evaluation], objective: Objective) -> [String] {
        results.enumerated().map { i, e in
            let rank = "[\(i + 1)] "
            switch objective {
            case .latency: return rank + scissionLine(e)
            case .throughput:
                return rank + String(format: "%.2f fps (slowest stage %.4fs) - ", 1 / e.bottleneckSeconds, e.bottleneckSeconds) + scissionLine(e)
            }
        }
    }

    public static func json(_ results: [Evaluation], problem p: PlanProblem, objective: Objective) -> [String: Any] {
        var rows: [[String: Any]] = []
        for (i, e) in results.enumerated() {
            var tiers: [[String: Any]] = []
            for (t, seg) in e.configuration.segments.enumerated() {
                var row: [String: Any] = ["tier": p.tiers[t].tier, "compute_s": e.computeSeconds[t], "upload_bytes": e.uploadBytes[t]]
                if let seg {
                    row["system"] = p.systems[seg.system].name
                    row["first_layer"] = p.blockLayers[seg.blocks.lowerBound].first
                    row["last_layer"] = p.blockLayers[seg.blocks.upperBound - 1].last
                } else {
                    row["system"] = t == 0 ? p.systems[e.configuration.source].name : NSNull()
                    row["first_layer"] = -1
                    row["last_layer"] = -1
                }
                tiers.append(row)
            }
            rows.append(["rank": i + 1, "total_s": e.totalSeconds, "transfer_mb": e.transferBytes / 1000 / 1000,
                         "transfer_layer": e.transfer.map { $0.description as Any } ?? NSNull(),
                         "config": e.text, "tiers": tiers, "transfer_s": e.transferSeconds,
                         "bottleneck_s": e.bottleneckSeconds, "throughput_fps": 1 / e.bottleneckSeconds,
                         "hops": e.hops.map { ["from": p.systems[$0.from].name, "to": p.systems[$0.to].name, "bytes": $0.bytes, "seconds": $0.seconds] }])
        }
        return ["model": p.model, "objective": objective.rawValue, "chain": p.tiers.map(\.tier), "results": rows]
    }
}
