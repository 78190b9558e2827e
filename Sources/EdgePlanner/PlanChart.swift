import Foundation

/// An SVG picture of a partition result, written by hand (no plotting dependency):
///   top: the best configurations as stacked bars, compute per tier and transfer per hop;
///   bottom: the best configuration along the model: each block's time on the system that
///   runs it (log scale), its output size (line), and the cuts.
public struct PlanChart {
    public let problem: PlanProblem
    public let results: [Evaluation]
    public let objective: Objective

    public init(problem: PlanProblem, results: [Evaluation], objective: Objective) {
        self.problem = problem
        self.results = results
        self.objective = objective
    }

    static let tierColors = ["#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let transferColor = "#f2c500"

    func color(_ tier: Int) -> String { Self.tierColors[tier % Self.tierColors.count] }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    public func svg() -> String {
        let width = 960.0, left = 60.0, right = 20.0, barH = 16.0, gap = 22.0
        let plotW = width - left - right
        let topH = Double(results.count) * (barH + gap) + 76
        let bottomTop = topH + 40, bottomH = 260.0
        let height = bottomTop + bottomH + 90
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(left)\" y=\"20\" font-size=\"15\" font-weight=\"bold\">\(Self.esc(problem.model)): best \(results.count) configuration(s) by \(objective.rawValue)</text>\n"

        // Legend.
        var lx = left
        for (t, tier) in problem.tiers.enumerated() {
            s += "<rect x=\"\(Self.f(lx))\" y=\"30\" width=\"12\" height=\"12\" fill=\"\(color(t))\"/><text x=\"\(Self.f(lx + 16))\" y=\"40\">\(Self.esc(tier.tier)) compute</text>\n"
            lx += 130
        }
        s += "<rect x=\"\(Self.f(lx))\" y=\"30\" width=\"12\" height=\"12\" fill=\"\(Self.transferColor)\"/><text x=\"\(Self.f(lx + 16))\" y=\"40\">transfer</text>\n"

        // Stacked bars.
        let maxTotal = max(results.map(\.totalSeconds).max() ?? 1, 1e-9)
        let scale = (plotW - 70) / maxTotal
        for (i, e) in results.enumerated() {
            let y = 55 + Double(i) * (barH + gap) + 16
            var x = left
            s += "<text x=\"\(Self.f(left - 8))\" y=\"\(Self.f(y + barH * 0.8))\" text-anchor=\"end\">[\(i + 1)]</text>\n"
            s += "<text x=\"\(Self.f(left))\" y=\"\(Self.f(y - 4))\" font-size=\"11\">\(Self.esc(PlanReport.scissionLine(e)))</text>\n"
            var hop = 0
            for (t, seg) in e.configuration.segments.enumerated() {
                guard let seg else { continue }
                if hop < e.hops.count, e.hops[hop].to == seg.system {
                    let w = e.hops[hop].seconds * scale
                    s += "<rect x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" width=\"\(Self.f(w))\" height=\"\(barH)\" fill=\"\(Self.transferColor)\" stroke=\"white\" stroke-width=\"0.5\"><title>\(Self.esc(problem.systems[e.hops[hop].from].name)) -&gt; \(Self.esc(problem.systems[seg.system].name)): \(String(format: "%.4f s, %.4f MB", e.hops[hop].seconds, e.hops[hop].bytes / 1e6))</title></rect>\n"
                    x += w
                    hop += 1
                }
                let w = e.computeSeconds[t] * scale
                s += "<rect x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" width=\"\(Self.f(w))\" height=\"\(barH)\" fill=\"\(color(t))\" stroke=\"white\" stroke-width=\"0.5\"><title>\(Self.esc(problem.tiers[t].tier)) \(Self.esc(problem.systems[seg.system].name)): \(String(format: "%.4f s", e.computeSeconds[t]))</title></rect>\n"
                x += w
            }
            s += "<text x=\"\(Self.f(x + 6))\" y=\"\(Self.f(y + barH * 0.8))\">\(String(format: "%.4fs", e.totalSeconds))</text>\n"
        }

        // Along the model: the best configuration.
        guard let best = results.first else { return s + "</svg>\n" }
        let n = problem.blockCount
        var runner = [Int](repeating: 0, count: n)
        var tierOf = [Int](repeating: 0, count: n)
        for (t, seg) in best.configuration.segments.enumerated() {
            guard let seg else { continue }
            for b in seg.blocks { runner[b] = seg.system; tierOf[b] = t }
        }
        let times = (0..<n).map { problem.systems[runner[$0]].seconds[$0] }
        let sizes = (0..<n).map { problem.systems[runner[$0]].outputBytes[$0] }
        let positive = times.filter { $0 > 0 }
        let lo = log10(max(positive.min() ?? 1e-6, 1e-9)), hi = log10(max(positive.max() ?? 1, 1e-9))
        let span = max(hi - lo, 1e-9) + 0.5
        let bw = plotW / Double(n)
        let base = bottomTop + bottomH
        s += "<text x=\"\(left)\" y=\"\(Self.f(bottomTop - 12))\" font-size=\"14\" font-weight=\"bold\">[1] along the model: block time (bars, log scale) and output size (line); cuts dashed</text>\n"
        s += "<line x1=\"\(left)\" y1=\"\(Self.f(base))\" x2=\"\(Self.f(left + plotW))\" y2=\"\(Self.f(base))\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(Self.f(bottomTop))\" x2=\"\(left)\" y2=\"\(Self.f(base))\" stroke=\"black\"/>\n"
        for k in Int(lo.rounded(.down))...Int(hi.rounded(.up)) {
            let y = base - (Double(k) - lo + 0.25) / span * bottomH
            guard y >= bottomTop - 1, y <= base + 1 else { continue }
            s += "<line x1=\"\(Self.f(left - 4))\" y1=\"\(Self.f(y))\" x2=\"\(Self.f(left + plotW))\" y2=\"\(Self.f(y))\" stroke=\"#ddd\"/><text x=\"\(Self.f(left - 6))\" y=\"\(Self.f(y + 4))\" text-anchor=\"end\">\(Self.esc(Self.secondsLabel(pow(10, Double(k)))))</text>\n"
        }
        for b in 0..<n {
            let h = times[b] > 0 ? (log10(times[b]) - lo + 0.25) / span * bottomH : 0
            let x = left + Double(b) * bw
            let label = problem.blockLayers[b].first == problem.blockLayers[b].last ? "\(problem.blockLayers[b].first)" : "\(problem.blockLayers[b].first)-\(problem.blockLayers[b].last)"
            s += "<rect x=\"\(Self.f(x + bw * 0.1))\" y=\"\(Self.f(base - h))\" width=\"\(Self.f(bw * 0.8))\" height=\"\(Self.f(h))\" fill=\"\(color(tierOf[b]))\"><title>layers \(label) on \(Self.esc(problem.systems[runner[b]].name)): \(String(format: "%.6f s, output %.4f MB", times[b], sizes[b] / 1e6))</title></rect>\n"
            if n <= 60 {
                s += "<text x=\"\(Self.f(x + bw / 2))\" y=\"\(Self.f(base + 12))\" font-size=\"9\" text-anchor=\"end\" transform=\"rotate(-60 \(Self.f(x + bw / 2)) \(Self.f(base + 12)))\">\(label)</text>\n"
            }
        }
        let maxSize = max(sizes.max() ?? 1, 1)
        let points = (0..<n).map { b in "\(Self.f(left + (Double(b) + 0.5) * bw)),\(Self.f(base - sizes[b] / maxSize * bottomH * 0.95))" }
        s += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\"/>\n"
        s += "<text x=\"\(Self.f(left + plotW))\" y=\"\(Self.f(bottomTop + 12))\" text-anchor=\"end\">line: output size, peak \(String(format: "%.2f MB", maxSize / 1e6))</text>\n"
        for seg in best.configuration.segments.compactMap({ $0 }) where seg.blocks.lowerBound > 0 {
            let x = left + Double(seg.blocks.lowerBound) * bw
            s += "<line x1=\"\(Self.f(x))\" y1=\"\(Self.f(bottomTop))\" x2=\"\(Self.f(x))\" y2=\"\(Self.f(base))\" stroke=\"black\" stroke-dasharray=\"5,4\"/>\n"
            s += "<text x=\"\(Self.f(x + 3))\" y=\"\(Self.f(bottomTop + 26))\">\(Self.esc(problem.systems[seg.system].name))</text>\n"
        }
        if let first = best.configuration.segments.compactMap({ $0 }).first {
            s += "<text x=\"\(Self.f(left + 3))\" y=\"\(Self.f(bottomTop + 26))\">\(Self.esc(problem.systems[first.system].name))</text>\n"
        }
        return s + "</svg>\n"
    }

    static func secondsLabel(_ x: Double) -> String {
        if x >= 1 { return String(format: "%gs", x) }
        if x >= 1e-3 { return String(format: "%gms", x * 1e3) }
        return String(format: "%gus", x * 1e6)
    }
}
