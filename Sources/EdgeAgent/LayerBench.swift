import CEdgeSupport
import EdgeFormat
import EdgeRuntime
import EdgeTrust
import EdgeWire

/// Per-layer times of one variant on the agent's own interpreter (the Bench message):
/// the artifact's self-test input, one warm-up pass, then up to `iterations` timed
/// passes, each layer's median (and the whole pass's). `edgec profile --remote` sums
/// the layers of each block, so the profile describes the device as it serves.
enum LayerBench {
    static let maxIterations = 1000
    /// Timed passes stop early after this long (the reply says how many ran).
    static let maxNanos: UInt64 = 10_000_000_000

    static func run(_ interp: Interpreter, _ v: ResidentVariant, iterations: Int) throws(WireError) -> BenchReply {
        guard iterations >= 1, iterations <= maxIterations else {
            throw WireError(.badRequest, "bench iterations must be 1...\(maxIterations), got \(iterations)")
        }
        let a = v.artifact
        let n = interp.layers.count
        var nanos = [UInt64](repeating: 0, count: n)
        var perLayer = [[UInt64]](repeating: [], count: n)
        var totals: [UInt64] = []
        let start = Clock.nowNanos()
        var done = 0
        // Pass 0 warms caches and pages in the weights; it is not recorded.
        while done <= iterations {
            try SelfTest.writeInputs(interp, a, failure: .badArtifact)
            for i in 0..<n { nanos[i] = 0 }
            nanos.withUnsafeMutableBufferPointer { p in interp.runTimed(0..<n, nanos: p.baseAddress!) }
            if done > 0 {
                var total: UInt64 = 0
                for i in 0..<n {
                    perLayer[i].append(nanos[i])
                    total &+= nanos[i]
                }
                totals.append(total)
            }
            done += 1
            if Clock.nowNanos() &- start > maxNanos && done > 1 { break }
        }
        var layers: [LayerTime] = []
        let m = interp.model
        for i in 0..<n {
            let op = m.ops[i]
            var shape: [Int] = []
            var bytes: UInt64 = 0
            if let o = op.outputs.first, o >= 0 {
                shape = m.tensors[Int(o)].shape
                bytes = UInt64(m.tensors[Int(o)].elementCount * 4)
            }
            layers.append(LayerTime(op: op.code.name, seconds: median(perLayer[i]), outputBytes: bytes, outputShape: shape))
        }
        let model = UnsafeRawBufferPointer(rebasing: v.mapped.bytes[a.modelRange])
        return BenchReply(variant: v.entry.name, variantVersion: v.entry.version, iterations: totals.count, layers: layers,
                          modelSha256: Sha256.digest(model), totalSeconds: median(totals))
    }

    /// Median in seconds (mean of the middle two for an even count).
    static func median(_ xs: [UInt64]) -> Double {
        if xs.isEmpty { return 0 }
        var s = xs
        s.sort()
        let k = s.count / 2
        let ns = s.count % 2 == 1 ? Double(s[k]) : (Double(s[k - 1]) + Double(s[k])) / 2
        return ns / 1e9
    }
}
