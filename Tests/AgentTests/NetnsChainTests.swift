import EdgeChain
import EdgeClient
import EdgeCompiler
import EdgeFormat
import EdgePlanner
import EdgeRuntime
import EdgeSplit
import EdgeTransfer
import EdgeWire
import Foundation
import XCTest

/// The distributed run over a real shaped link: agents in two network namespaces, the
/// device -> edge link rate-limited by `tc tbf` and delayed by a relay, the planner's
/// link model (EdgePlanner.Link: ping + bytes / bandwidth) fed with slice times and frame
/// sizes measured on those agents. The best split configuration is deployed and its
/// measured end-to-end latency must be within 10% of the prediction.
final class NetnsChainTests: AgentTestCase {
    /// A slow link, so that the link, which the planner models, dominates the slices'
    /// compute, which on this shared 2-core machine (debug builds, other helpers' load)
    /// varies by +-50% from one request to the next.
    struct LinkSetting { var rateKbit: Int; var delayMs: Double }

    struct Candidate {
        var cut: Int
        var encoding: TransferEncoding
        var dir = ""
        var deviceMs = 0.0, edgeMs = 0.0
        var sentBytes = 0, replyBytes = 0
        var predictedMs = 0.0
        var measuredMs = 0.0
    }

    func testPlannerPredictsTheDistributedLatencyWithinTenPercent() throws {
        try NetnsTopology.available()
        let digits = tmp.appendingPathComponent("digits.edgm").path
        try FileIO.write(digits, dense.model)
        try scenario(device: nil, model: digits, input: [1, 1, 8, 8], candidates: [(0, .f32), (1, .f32), (1, .u8), (2, .u8)],
                     link: LinkSetting(rateKbit: 256, delayMs: 30))
    }

    /// ResNet-18 (the fixture, at 96x96): bigger frames, slower slices. Opt-in
    /// (EDGE_NETNS_RESNET=1) because its compute noise on a loaded machine is large.
    func testResNet18OverTheShapedLink() throws {
        try NetnsTopology.available()
        guard ProcessInfo.processInfo.environment["EDGE_NETNS_RESNET"] == "1" else {
            throw XCTSkip("opt-in: EDGE_NETNS_RESNET=1 (a benchmark more than a test: ~15 s, compute-noise sensitive)")
        }
        try scenario(device: nil, model: try resnet18(), input: [1, 3, 96, 96], candidates: [(1, .f32), (1, .u8), (11, .f32), (11, .u8)],
                     link: LinkSetting(rateKbit: 1000, delayMs: 30))
    }

    /// The same with the device agent being the aarch64 Embedded edged under qemu-aarch64.
    func testDeviceAgentUnderQemu() throws {
        try NetnsTopology.available()
        let binary = AgentFixtures.root.appendingPathComponent("Firmware/build/aarch64/stripped/edged").path
        let qemu = ["/usr/bin/qemu-aarch64", "/usr/local/bin/qemu-aarch64"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard FileManager.default.isExecutableFile(atPath: binary), let q = qemu else {
            throw XCTSkip("device edged not built (make firmware: Firmware/build/aarch64/stripped/edged) or qemu-aarch64 missing")
        }
        let digits = tmp.appendingPathComponent("digits.edgm").path
        try FileIO.write(digits, dense.model)
        try scenario(device: [q, binary], model: digits, input: [1, 1, 8, 8], candidates: [(1, .f32), (1, .u8)],
                     link: LinkSetting(rateKbit: 256, delayMs: 30))
    }

    func resnet18() throws -> String {
        var o = CompileOptions()
        o.inputShapes = ["input": [1, 3, 96, 96]]
        let r = try Compiler.compile(onnxPath: AgentFixtures.root.appendingPathComponent("Tests/Fixtures/models/resnet18/model.onnx").path, options: o)
        let p = tmp.appendingPathComponent("resnet18.edgm").path
        try FileIO.write(p, r.bytes)
        return p
    }

    func scenario(device: [String]?, model: String, input shape: [Int], candidates cuts: [(Int, TransferEncoding)],
                  link setting: LinkSetting) throws {
        let started = Date()
        let topo = try NetnsTopology(rateKbit: setting.rateKbit, burstBytes: 1600)
        defer { topo.tearDown() }
        func inNamespace(_ ns: String, _ cmd: [String]) -> [String] { ["/usr/sbin/ip", "netns", "exec", ns] + cmd }
        for d in ["dev", "edge"] { try FileManager.default.createDirectory(at: tmp.appendingPathComponent(d), withIntermediateDirectories: true) }
        let dev = try AgentProcess(dir: tmp.appendingPathComponent("dev"), launcher: inNamespace(topo.device, device ?? [AgentFixtures.edgedPath]),
                                   startSeconds: 30, host: topo.deviceMgmt)
        defer { dev.kill() }
        let edge = try AgentProcess(dir: tmp.appendingPathComponent("edge"), launcher: inNamespace(topo.edge, [AgentFixtures.edgedPath]),
                                    host: topo.edgeAddress)
        defer { edge.kill() }
        let relay = try DelayRelay(host: topo.rootLink, target: edge.address, delayMs: setting.delayMs, rateKbit: Double(setting.rateKbit))
        defer { relay.stop() }
        let via = "\(topo.rootLink):\(relay.port)"

        var state: UInt32 = 0x1234
        let x = NpyArray(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return Float(state >> 8) / Float(1 << 24)
        })
        let whole = try Interpreter(path: model)
        let request: [(String, NpyArray)] = [(whole.model.tensors[Int(whole.model.graph.inputs[0])].name, x)]
        // The planner's model of the shaped link, the same both ways.
        let link = Link(pingMs: setting.delayMs, megabitsPerSecond: Double(setting.rateKbit) / 1000)

        // Profile every candidate on these agents: per-slice compute and bytes per frame.
        var candidates: [Candidate] = []
        for (i, (cut, enc)) in cuts.enumerated() {
            var c = Candidate(cut: cut, encoding: enc)
            c.dir = try writeSplit(model, at: cut, .none, enc, "c\(i)", calibration: nil)
            let samples = try deployAndRun(c.dir, name: "c\(i)", version: 1, dev: dev, edge: edge, via: via, request: request, runs: 4)
            c.deviceMs = median(samples.map { $0.deviceMs })
            c.edgeMs = median(samples.map { $0.edgeMs })
            c.sentBytes = samples.last!.sent
            c.replyBytes = samples.last!.reply
            c.predictedMs = c.deviceMs + link.seconds(Double(c.sentBytes)) * 1000 + c.edgeMs + link.seconds(Double(c.replyBytes)) * 1000
            candidates.append(c)
        }
        // The best configuration by prediction, deployed again and measured.
        let b = candidates.indices.min { candidates[$0].predictedMs < candidates[$1].predictedMs }!
        let runs = try deployAndRun(candidates[b].dir, name: "c\(b)", version: 2, dev: dev, edge: edge, via: via, request: request, runs: 7)
        candidates[b].measuredMs = median(runs.map { $0.roundTripMs })
        let best = candidates[b]

        var lines = ["cut  enc  sent B  reply B  device ms  edge ms  predicted ms  measured ms"]
        for c in candidates {
            lines.append(String(format: "%3d  %@  %6d  %7d  %9.2f  %7.2f  %12.2f  %@", c.cut, "\(c.encoding)", c.sentBytes, c.replyBytes,
                                c.deviceMs, c.edgeMs, c.predictedMs, c.measuredMs > 0 ? String(format: "%11.2f", c.measuredMs) : "          -"))
        }
        print("netns chain (\(device == nil ? "host" : "aarch64 qemu") device, \(setting.rateKbit) kbit/s tbf, \(setting.delayMs) ms relay delay each way):\n"
              + lines.joined(separator: "\n"))

        // Outputs equal the in-process split run of the same directory (same codec and interpreter,
        // up to the aarch64 kernels' rounding).
        let local = try SplitManifest.pipeline(best.dir)
        try local.run(x.data)
        let expected = Array(local.output(0))
        let scale = max(expected.map { abs($0) }.max() ?? 1, 1e-6)
        XCTAssertLessThanOrEqual(AgentFixtures.maxDiff(runs.last!.outputs, expected) / scale, device == nil ? 0 : 1e-4)

        // And the unsplit model's, within the split's reported fidelity (measured by edgec split
        // on other inputs, hence the margin).
        try x.data.withUnsafeBufferPointer { try whole.write(tensor: Int(whole.model.graph.inputs[0]), $0) }
        whole.run()
        let unsplit = Array(whole.read(tensor: Int(whole.model.graph.outputs[0])))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: best.dir + "/split.json"))) as! [String: Any]
        let reported = (report["fidelity"] as! [String: Any])["max_rel_error"] as! Double
        let unsplitScale = max(unsplit.map { abs($0) }.max() ?? 1, 1e-6)
        XCTAssertLessThanOrEqual(Double(AgentFixtures.maxDiff(runs.last!.outputs, unsplit) / unsplitScale), 10 * reported + 1e-4)

        let error = abs(best.measuredMs - best.predictedMs) / best.predictedMs
        XCTAssertLessThan(error, 0.10, String(format: "measured %.2f ms vs predicted %.2f ms", best.measuredMs, best.predictedMs))
        XCTAssertLessThan(Date().timeIntervalSince(started), 120, "the namespace test must stay bounded")
    }

    struct Run {
        var deviceMs: Double, edgeMs: Double, sent: Int, reply: Int, roundTripMs: Double, outputs: [Float]
    }

    func deployAndRun(_ dir: String, name: String, version: UInt64, dev: AgentProcess, edge: AgentProcess, via: String,
                      request: [(String, NpyArray)], runs: Int) throws -> [Run] {
        var d = ChainDeploy(chain: [dev.address, edge.address], forwardVia: [dev.address, via], name: name, version: version)
        d.timeoutMs = 20_000
        _ = try d.deploy(try ChainPlan.load(splitDirs: [dir]), key: key)
        let connection = try AgentConnection(address: dev.address)
        let client = AgentClient(address: dev.address)
        _ = try client.infer(request, on: connection)  // warm-up: the device agent connects to the relay
        var out: [Run] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let r = try client.infer(request, on: connection)
            let rt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            guard r.chain.count == 2 else {
                throw ClientError.local("the reply crossed \(r.chain.count) agents, not 2: forwarding is not set")
            }
            // What the edge agent sent back: its reply with its own hop only.
            let reply = InferReply(outputs: r.outputs, variant: r.variant, variantVersion: r.variantVersion, latencyNanos: r.chain[1].totalNanos,
                                   chain: [r.chain[1]])
            out.append(Run(deviceMs: Double(r.chain[0].computeNanos) / 1e6, edgeMs: Double(r.chain[1].computeNanos) / 1e6,
                           sent: Int(r.chain[0].sentBytes), reply: WireFrame.wrap(Envelope(requestId: 2, .inferReply(reply)).encode()).count,
                           roundTripMs: rt, outputs: try outputs(r)))
        }
        return out
    }

    func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }
}
