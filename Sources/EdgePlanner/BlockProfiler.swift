import CEdgeSupport
import EdgeFormat
import EdgeRuntime
import Foundation

/// Cuts a model into blocks and measures each on this machine (the interpreter) or on
/// the aarch64 device build under qemu-aarch64.
///
/// A valid cut is a position in the execution order where exactly one tensor crosses
/// (no branch is open: the rule `edgec run --slice` enforces); a block is the run of
/// layers between two consecutive cuts. Layer numbers are op indices, as `edgec
/// inspect` prints them.
public struct BlockProfiler {
    public enum Runner {
        case interpreter
        /// qemu-aarch64 and the edge-run binary (Firmware/build/aarch64/edge-run).
        case qemu(qemu: String, edgeRun: String)
    }

    public let path: String
    public let interpreter: Interpreter
    public let blocks: [Range<Int>]

    public init(path: String) throws(EdgeError) {
        self.path = path
        interpreter = try Interpreter(path: path)
        blocks = try Self.blocks(interpreter.model)
    }

    /// The blocks between consecutive valid cuts.
    public static func blocks(_ m: EdgmModel) throws(EdgeError) -> [Range<Int>] {
        let n = m.ops.count
        guard n > 0 else { throw EdgeError(.invalidArgument, "the model has no layers") }
        var cuts = [0]
        for c in 1..<n {
            let head = try SlicePlan(model: m, range: 0..<c, strict: false)
            guard head.outputs.count == 1 else { continue }
            let tail = try SlicePlan(model: m, range: c..<n, strict: false)
            if tail.inputs.count == 1 && tail.inputs[0] == head.outputs[0] { cuts.append(c) }
        }
        cuts.append(n)
        return (0..<(cuts.count - 1)).map { cuts[$0]..<cuts[$0 + 1] }
    }

    /// Bytes of a tensor as a float32 .npy file: what slices exchange.
    public static func npyBytes(_ shape: [Int]) -> Int {
        NpyArray(shape: shape, data: []).serialized().count + 4 * shape.reduce(1, *)
    }

    /// Structure of each block (no timing): output, FLOPs, params, weight and peak arena bytes.
    public func structure() throws(EdgeError) -> [BlockProfile] {
        let m = interpreter.model
        let n = m.ops.count
        // Liveness of arena tensors (views count as their base).
        var first = [Int](repeating: Int.max, count: m.tensors.count), last = [Int](repeating: -1, count: m.tensors.count)
        func base(_ t: Int) -> Int { m.tensors[t].aliasOf >= 0 ? Int(m.tensors[t].aliasOf) : t }
        for id in m.graph.inputs { first[base(Int(id))] = 0 }
        for (i, op) in m.ops.enumerated() {
            for id in op.outputs { let b = base(Int(id)); first[b] = min(first[b], i); last[b] = max(last[b], i) }
            for id in op.inputs where id >= 0 { let b = base(Int(id)); last[b] = max(last[b], i); first[b] = min(first[b], i) }
        }
        for id in m.graph.outputs { last[base(Int(id))] = n - 1 }
        var out: [BlockProfile] = []
        for r in blocks {
            let plan = try SlicePlan(model: m, range: r, strict: false)
            guard let o = plan.outputs.first else { throw EdgeError(.unsupported, "block \(r.lowerBound)-\(r.upperBound - 1) has no output") }
            var flops = 0, params = 0, weightBytes = 0
            var seen = Set<Int>()
            for i in r {
                flops += interpreter.layers[i].flops
                for id in m.ops[i].inputs where id >= 0 && m.tensors[Int(id)].storage == .weight && seen.insert(Int(id)).inserted {
                    params += m.tensors[Int(id)].elementCount
                    weightBytes += m.tensors[Int(id)].byteCount
                }
            }
            var peak = 0
            for i in r {
                var live = 0
                for t in m.tensors.indices where m.tensors[t].storage == .arena && m.tensors[t].aliasOf < 0 && first[t] <= i && i <= last[t] {
                    live += m.tensors[t].byteCount
                }
                peak = max(peak, live)
            }
            let shape = m.tensors[o].shape
            out.append(BlockProfile(firstLayer: r.lowerBound, lastLayer: r.upperBound - 1, seconds: 0, outputBytes: Self.npyBytes(shape),
                                    outputShape: shape, flops: flops, params: params, weightBytes: weightBytes, arenaBytes: peak))
        }
        return out
    }

    /// Bytes of the model's inputs as .npy files (what the first system receives).
    public var inputBytes: Int {
        let m = interpreter.model
        var n = 0
        for id in m.graph.inputs { n += Self.npyBytes(m.tensors[Int(id)].shape) }
        return n
    }

    /// A profile from per-layer times measured elsewhere (an edged agent's Bench reply,
    /// `edgec profile --remote`): each block's seconds are the sum of its layers' medians.
    /// `layerSeconds[i]` is op i's time; there must be one per op.
    public func profile(name: String, iterations: Int, layerSeconds: [Double], runner: String) throws(EdgeError) -> ModelProfile {
        let m = interpreter.model
        guard layerSeconds.count == m.ops.count else {
            throw EdgeError(.shape, "\(layerSeconds.count) layer times for a model of \(m.ops.count) layers")
        }
        for t in layerSeconds where !(t.isFinite && t >= 0) { throw EdgeError(.format, "a layer time is negative or not finite") }
        var result = try structure()
        for k in result.indices { result[k].seconds = blocks[k].reduce(0.0) { $0 + layerSeconds[$1] } }
        return ModelProfile(name: name, inputBytes: inputBytes, inputShape: m.graph.inputs.first.map { m.tensors[Int($0)].shape },
                            iterations: iterations, runner: runner, blocks: result)
    }

    /// Times every block: warm median of `iterations` runs, each on the block's real input
    /// (produced by running the blocks before it on seeded random model inputs).
    public func profile(name: String, iterations: Int, runner: Runner, progress: (Int, Int) -> Void) throws(EdgeError) -> ModelProfile {
        var result = try structure()
        let m = interpreter.model
        // Seeded model inputs.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for id in m.graph.inputs {
            let t = m.tensors[Int(id)]
            var values = [Float](repeating: 0, count: t.elementCount)
            for i in values.indices {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                values[i] = Float(Int64(state >> 40) - (1 << 23)) / Float(1 << 23)
            }
            try write(values, Int(id))
        }
        let scratchDir = NSTemporaryDirectory() + "edgec-profile-\(getpid())"
        if case .qemu = runner {
            try? FileManager.default.createDirectory(atPath: scratchDir, withIntermediateDirectories: true)
        }
        defer { if case .qemu = runner { try? FileManager.default.removeItem(atPath: scratchDir) } }
        for (k, r) in blocks.enumerated() {
            progress(k + 1, blocks.count)
            let plan = try SlicePlan(model: m, range: r, strict: false)
            let inputs = plan.inputs.map { ($0, Array(interpreter.read(tensor: $0))) }
            switch runner {
            case .interpreter:
                var times: [UInt64] = []
                for i in 0..<(iterations + 1) {
                    for (id, v) in inputs { try write(v, id) }
                    let t0 = edge_now_ns()
                    interpreter.run(r)
                    let dt = edge_now_ns() &- t0
                    if i > 0 { times.append(dt) }  // the first run warms caches
                }
                times.sort()
                let mid = times.count % 2 == 1 ? Double(times[times.count / 2]) : Double(times[times.count / 2 - 1] + times[times.count / 2]) / 2
                result[k].seconds = mid / 1e9
            case .qemu(let qemu, let edgeRun):
                var args = [edgeRun, path, "--slice", "\(r.lowerBound):\(r.upperBound - 1)", "--repeat", "\(iterations + 1)", "--output-dir", scratchDir + "/out"]
                for (j, (id, v)) in inputs.enumerated() {
                    let file = scratchDir + "/in\(j).npy"
                    try NpyArray(shape: m.tensors[id].shape, data: v).write(file)
                    args += ["--input", "\(m.tensors[id].name)=\(file)"]
                }
                result[k].seconds = try Self.qemuMedian(qemu, args)
                // Keep the host's arena in step for the next block's input.
                for (id, v) in inputs { try write(v, id) }
                interpreter.run(r)
                continue
            }
        }
        let runnerName: String
        switch runner {
        case .interpreter: runnerName = "interpreter"
        case .qemu: runnerName = "qemu-aarch64"
        }
        return ModelProfile(name: name, inputBytes: inputBytes, inputShape: m.graph.inputs.first.map { m.tensors[Int($0)].shape },
                            iterations: iterations, runner: runnerName, blocks: result)
    }

    func write(_ values: [Float], _ id: Int) throws(EdgeError) {
        let r = values.withUnsafeBufferPointer { p -> Result<Void, EdgeError> in
            do throws(EdgeError) { try interpreter.write(tensor: id, p); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    /// Runs edge-run under qemu and reads "median X ms" from its last line.
    static func qemuMedian(_ qemu: String, _ args: [String]) throws(EdgeError) -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: qemu)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { throw EdgeError(.io, "cannot start \(qemu)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw EdgeError(.io, "edge-run under qemu failed (exit \(p.terminationStatus)): \(text.split(separator: "\n").last ?? "")")
        }
        guard let range = text.range(of: "median "), let end = text[range.upperBound...].range(of: " ms"),
              let ms = Double(text[range.upperBound..<end.lowerBound]) else {
            throw EdgeError(.format, "cannot read the median from edge-run's output: \(text.split(separator: "\n").last ?? "")")
        }
        return ms / 1000
    }
}
