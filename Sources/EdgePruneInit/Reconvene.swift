import EdgeCompiler
import EdgeFormat
import Foundation

/// Unstructured iterative SynFlow over every Conv / Gemm / MatMul weight: `rounds` times,
/// score with the current mask and keep the top keep^(k / rounds) of all weights. What
/// Reconvene reads from it is how much of each layer survives, and the flow through each
/// channel of the dense network.
struct SynFlowMask {
    /// Weight constant -> kept flags.
    var masks: [String: [Bool]] = [:]
    /// Flow v * T through each group of the dense network (summed over the filters in it).
    var groupFlow: [Int: Double] = [:]
    private var layerKept: [Int: (kept: Int, total: Int)] = [:]

    init(_ graph: Graph, _ groups: ChannelGroups, keep: Double, rounds: Int, input: [String: [Double]]) throws {
        let nodes = graph.nodes.indices.filter { ["Conv", "Gemm", "MatMul"].contains(graph.nodes[$0].opType) && graph.constants[graph.nodes[$0].input(1)] != nil }
        let names = nodes.map { graph.nodes[$0].input(1) }
        let absW = Dictionary(names.map { ($0, graph.constants[$0]!.floats.map { abs($0) }) }, uniquingKeysWith: { a, _ in a })
        for n in names { masks[n] = [Bool](repeating: true, count: absW[n]!.count) }
        let total = names.reduce(0) { $0 + absW[$1]!.count }
        let denseFlow = try SynapticFlow(graph, groups, weights: absW, input: input)
        for (node, value) in groups.producers {
            guard let f = denseFlow.forward[value], let t = denseFlow.backward[value], graph.nodes[node].opType == "Conv" else { continue }
            for o in 0..<f.count { groupFlow[groups.group(value, o), default: 0] += f[o] * t[o] }
        }
        for k in 1...rounds {
            let density = pow(keep, Double(k) / Double(rounds))
            var masked: [String: [Float]] = [:]
            for n in names { masked[n] = zip(absW[n]!, masks[n]!).map { $1 ? $0 : 0 } }
            let flow = k == 1 ? denseFlow : try SynapticFlow(graph, groups, weights: masked, input: input)
            // (score, tensor, index) of every weight still alive; keep the best.
            var all: [(Double, Int, Int)] = []
            all.reserveCapacity(total)
            for (j, i) in nodes.enumerated() {
                let s = flow.scores(graph, node: i, absWeights: masked[names[j]]!)
                let m = masks[names[j]]!
                for q in 0..<s.count where m[q] { all.append((s[q], j, q)) }
            }
            let target = Int((density * Double(total)).rounded())
            guard all.count > target else { continue }
            all.sort { ($0.0, $1.1, $1.2) > ($1.0, $0.1, $0.2) }   // best first, ties by position
            for (_, j, q) in all[target...] { masks[names[j]]![q] = false }
        }
        for (j, i) in nodes.enumerated() {
            let m = masks[names[j]]!
            layerKept[i] = (m.filter { $0 }.count, m.count)
        }
    }

    /// Fraction of the unit's conv weights the unstructured mask keeps.
    func density(_ u: Unit) -> Double {
        var kept = 0, total = 0
        for p in u.producers { if let k = layerKept[p] { kept += k.kept; total += k.total } }
        return total == 0 ? 1 : Double(kept) / Double(total)
    }
}

enum Reconvene {
    /// Removes groups from the least sensitive units first (see `PruneInit`): pass p
    /// shrinks unit u to ceil(density_u^e * channels) with e = 0.5, 0.75, 1, ..., least
    /// flow first, and stops as soon as the count meets `budget`. e = 0.5 first because
    /// a conv loses filters on both sides: keeping sqrt(d) of the channels of a layer and
    /// of its neighbour keeps about d of its weights, SynFlow's density.
    static func choose(_ units: [Unit], _ synflow: SynFlowMask, budget: Int, _ choice: inout Choice) {
        let order = units.indices.sorted { (synflow.density(units[$0]), $0) < (synflow.density(units[$1]), $1) }
        let ranked = units.map { u in u.groups.sorted { (synflow.groupFlow[$0] ?? 0, $0) < (synflow.groupFlow[$1] ?? 0, $1) } }
        var params = choice.params
        for pass in 1...15 {
            var progress = false
            let exponent = 0.25 + 0.25 * Double(pass)
            for k in order {
                let u = units[k]
                let target = max(1, Int((pow(synflow.density(u), exponent) * Double(u.count)).rounded(.up)))
                for g in ranked[k] where params > budget && u.count - choice.removedIn(u) > target {
                    guard choice.canRemove(g) else { continue }
                    choice.remove(g)
                    params = choice.params
                    progress = true
                }
                if params <= budget { return }
            }
            if !progress && pass > 4 { break }
        }
        // Still above the budget: least sensitive first, one filter at a time.
        for k in order {
            for g in ranked[k] where params > budget && choice.canRemove(g) {
                choice.remove(g)
                params = choice.params
            }
        }
    }
}

/// Filter L1-norm pruning (Li et al. 2017): the same fraction of filters leaves every
/// conv unit, the smallest sum of |w| over the unit's filters first; the fraction is the
/// smallest multiple of 1/200 that meets the budget.
enum L1Pruning {
    static func choose(_ units: [Unit], _ graph: Graph, _ groups: ChannelGroups, budget: Int, _ choice: inout Choice) {
        var norm: [Int: Double] = [:]
        for (node, value) in groups.producers where graph.nodes[node].opType == "Conv" {
            guard let w = graph.constants[graph.nodes[node].input(1)]?.floats, let s = groups.space(of: value) else { continue }
            let per = w.count / max(1, s.count)
            for o in 0..<s.count {
                var a = 0.0
                for j in 0..<per { a += Double(abs(w[o * per + j])) }
                norm[groups.group(value, o), default: 0] += a
            }
        }
        let ranked = units.map { u in u.groups.sorted { (norm[$0] ?? 0, $0) < (norm[$1] ?? 0, $1) } }
        let base = choice
        for step in 0...199 {
            var trial = base
            let fraction = Double(step) / 200
            for (k, u) in units.enumerated() {
                let target = max(1, Int((Double(u.count) * (1 - fraction)).rounded()))
                for g in ranked[k] where u.count - trial.removedIn(u) > target && trial.canRemove(g) { trial.remove(g) }
            }
            choice = trial
            if trial.params <= budget { return }
        }
    }
}

/// Per-channel mean |x| of the .npy batches in a directory, for the one graph input.
enum Calibration {
    static func magnitudes(directory: String, graph: Graph, groups: ChannelGroups) throws -> [String: [Double]] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw EdgeError(.io, "--calibration: '\(directory)' is not a directory")
        }
        guard graph.inputs.count == 1, let input = graph.inputs.first, let space = groups.space(of: input) else {
            throw EdgeError(.unsupported, "--calibration needs a model with exactly one input")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".npy") }.sorted()
        guard !files.isEmpty else { throw EdgeError(.invalidArgument, "--calibration: no .npy files in '\(directory)'") }
        var sum = [Double](repeating: 0, count: space.count)
        var n = [Double](repeating: 0, count: space.count)
        let want = graph.shapes[input] ?? []
        for f in files {
            let a = try NpyArray.read((directory as NSString).appendingPathComponent(f))
            guard a.shape.count == want.count, a.shape.count > space.axis, a.shape[space.axis] == space.count,
                  Array(a.shape.dropFirst()) == Array(want.dropFirst()) else {
                throw EdgeError(.shape, "--calibration: \(f) has shape \(a.shape), the input '\(input)' \(want) (any batch size)")
            }
            let inner = a.shape[(space.axis + 1)...].reduce(1, *)
            for (i, v) in a.data.enumerated() {
                let c = (i / inner) % space.count
                sum[c] += Double(abs(v))
                n[c] += 1
            }
        }
        return [input: (0..<sum.count).map { n[$0] > 0 ? sum[$0] / n[$0] : 0 }]
    }
}
