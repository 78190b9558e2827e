import EdgeClient
import EdgeCompiler
import EdgeFormat
import EdgeRomaEval
import EdgeRuntime
import EdgeTrust
import EdgeWire
import Foundation
import XCTest

/// ROMA inside edged: the four trained detectors (Tests/Fixtures/detectors) are pushed as
/// signed variants, `policy roma` is set, and a client streams a scene whose content
/// changes (Tests/Fixtures/roma/agent_switch: small objects, then large ones; rendered by
/// Tools/make_roma_fixtures.py). The agent must move to the detector its profile says is
/// best for what it sees (det128-w12 on small objects, det96-w10 on large ones: the
/// estimates differ by 20-25% there, far beyond the selector's 10% margin) while every
/// reply stays the exact output of the variant it names.
final class RomaAgentTests: AgentTestCase {
    static let detectors = AgentFixtures.root.appendingPathComponent("Tests/Fixtures/detectors/manifest.json").path
    static let scene = AgentFixtures.root.appendingPathComponent("Tests/Fixtures/roma/agent_switch").path

    struct Detector {
        let name: String
        let model: [UInt8]
    }

    func compiledDetectors() throws -> [Detector] {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.detectors))) as! [String: Any]
        let dir = URL(fileURLWithPath: Self.detectors).deletingLastPathComponent()
        return try (manifest["detectors"] as! [[String: Any]]).map { d in
            let onnx = dir.appendingPathComponent(d["model"] as! String).path
            return Detector(name: d["name"] as! String, model: try Compiler.compile(onnxPath: onnx, options: CompileOptions()).bytes)
        }
    }

    func testAgentSwitchesDetectorWhenTheSceneChanges() throws {
        try romaSwitchScenario(launcher: nil, tolerance: 1e-4, secondsPerPhase: 30)
    }

    /// The same with the aarch64 Embedded-Swift edged under qemu-aarch64 (skipped when
    /// the device build is absent, unless EDGE_REQUIRE_DEVICE=1). Its kernels round
    /// differently from the host's, hence the wider tolerance (as in DeviceAgentTests).
    func testDeviceAgentRomaSwitchesUnderQemu() throws {
        try romaSwitchScenario(launcher: try deviceLauncher(), tolerance: 1e-3, secondsPerPhase: 60)
    }

    /// The whole scenario against an edged started with `launcher` (nil: the host build).
    func romaSwitchScenario(launcher: [String]?, tolerance: Float, secondsPerPhase: Double) throws {
        let family = try DetectorFamily(manifest: Self.detectors)
        let scene = try Scenario(directory: Self.scene)
        XCTAssertEqual(scene.segments.map(\.name), ["small", "large"])
        let dets = try compiledDetectors()
        // What each detector must answer for each frame, computed in-process.
        var expected: [String: [[Float]]] = [:]
        for d in dets {
            let interp = try Interpreter(bytes: d.model)
            let inId = try XCTUnwrap(interp.tensorId(named: "frame")), outId = try XCTUnwrap(interp.tensorId(named: "maps"))
            expected[d.name] = try (0..<scene.frameCount).map { k in
                try scene.input(frame: k).withUnsafeBufferPointer { (p) throws(EdgeError) in try interp.write(tensor: inId, p) }
                interp.run()
                return Array(interp.read(tensor: outId))
            }
        }

        let agent = try AgentProcess(dir: tmp, extra: ["--workers", "1"], launcher: launcher, startSeconds: 30)
        let c = AgentClient(address: agent.address)
        for d in dets {
            let art = try ArtifactSigner.sign(model: d.model, metadata: ArtifactMetadata(name: d.name, version: 1, family: "roma"), secretKey: key)
            try c.push(art, key: key, activate: false)
        }
        // The profiles' latencies are replaced by what this agent measures (a debug build
        // runs the detectors far slower than the release `edgec bench` of the profiles),
        // and the stream is slow enough for every detector to keep up: here only the
        // content decides, not latency.
        var spec = family.romaPolicy(frameIntervalMs: 1)
        let probe = scene.input(frame: 0)
        for (i, d) in dets.enumerated() {
            try c.command(.activate(name: d.name), key: key)
            var ms: [Double] = []
            for _ in 0..<5 {
                let r = try c.infer([("frame", NpyArray(shape: [1, 1, scene.height, scene.width], data: probe))])
                ms.append(Double(r.latencyNanos) / 1e6)
            }
            spec.detectors[i].latencyMedianMs = ms.sorted()[2]
            spec.detectors[i].latencyP90Ms = ms.max()!
        }
        try c.command(.activate(name: "det64-w8"), key: key)
        let intervalMs = max(20, 1.5 * spec.detectors.map(\.latencyMedianMs).max()!)
        spec.frameIntervalMs = intervalMs
        let reply = try c.command(.roma(spec), key: key)
        XCTAssertTrue(reply.contains("4 detectors (4 installed here)"), reply)

        let conn = try AgentConnection(address: agent.address)
        var wrong: [String] = []
        var served = 0

        /// Streams the segment's frames (cycled) at the policy's frame rate, the newest
        /// frame whenever the previous reply is in, until `want` has served 15 replies in a
        /// row or `seconds` pass. Returns the variant that served last.
        func stream(segment: Int, want: String, seconds: Double) throws -> String {
            let seg = scene.segments[segment]
            let start = Date()
            var last = -1, inARow = 0, variant = ""
            while Date().timeIntervalSince(start) < seconds && inARow < 15 {
                let tick = Int(Date().timeIntervalSince(start) * 1000 / intervalMs)
                if tick == last { usleep(1000); continue }
                last = tick
                let k = seg.firstFrame + tick % seg.frameCount
                let r = try c.infer([("frame", NpyArray(shape: [1, 1, scene.height, scene.width], data: scene.input(frame: k)))], on: conn)
                served += 1
                variant = r.variant
                inARow = r.variant == want ? inARow + 1 : 0
                let got = try WireTensors.floats(r.outputs[0])
                if AgentFixtures.maxDiff(got, expected[r.variant]?[k] ?? []) > tolerance { wrong.append("frame \(k) by \(r.variant)") }
            }
            return variant
        }

        XCTAssertEqual(try stream(segment: 0, want: "det128-w12", seconds: secondsPerPhase), "det128-w12", "small objects: the large-input detector")
        let small = try c.status()
        print("roma agent, small objects: \(small.romaEstimates.map { "\($0.name) \(String(format: "%.3f at %.2f ms", $0.accuracy, $0.latencyMs))" })")
        XCTAssertEqual(small.romaCurrent, "det128-w12")
        XCTAssertEqual(try stream(segment: 1, want: "det96-w10", seconds: secondsPerPhase), "det96-w10", "large objects: det96-w10")
        let s = try c.status()
        XCTAssertEqual(s.active, "det96-w10")
        XCTAssertEqual(s.romaCurrent, "det96-w10")
        XCTAssertGreaterThanOrEqual(s.romaSwitches, 2)
        XCTAssertGreaterThan(s.romaOutputs, 40)
        XCTAssertEqual(s.romaIntervalMs, intervalMs)
        XCTAssertEqual(s.romaEstimates.map(\.name), family.profiles.map(\.name))
        let best = s.romaEstimates.max { $0.accuracy < $1.accuracy }!
        XCTAssertEqual(best.name, "det96-w10", "\(s.romaEstimates.map { "\($0.name) \($0.accuracy)" })")
        XCTAssertTrue(wrong.isEmpty, "replies that are not their variant's output: \(wrong.prefix(5))")
        XCTAssertEqual(s.failed, 0)
        print("roma agent: \(served) frames served, \(s.romaSwitches) ROMA switches, estimates \(s.romaEstimates.map { "\($0.name) \(String(format: "%.3f", $0.accuracy))" })")

        // Off again: the agent keeps serving what it serves, status shows no estimates.
        XCTAssertEqual(try c.command(.roma(.off), key: key), "roma policy off")
        XCTAssertTrue(try c.status().romaEstimates.isEmpty)
    }

    /// A ROMA policy whose profile columns do not match its size bins is refused, and the
    /// agent keeps serving.
    func testMalformedRomaPolicyIsRefused() throws {
        let family = try DetectorFamily(manifest: Self.detectors)
        let agent = try AgentProcess(dir: tmp)
        let c = AgentClient(address: agent.address)
        var spec = family.romaPolicy(frameIntervalMs: 33)
        spec.detectors[1].betaBySize.removeLast()
        assertRefused(.badRequest, "short beta column") { try c.command(.roma(spec), key: key) }
        spec = family.romaPolicy(frameIntervalMs: 0)
        assertRefused(.badRequest, "zero frame interval") { try c.command(.roma(spec), key: key) }
        spec = family.romaPolicy(frameIntervalMs: 33)
        spec.sizeBinsPx = [24, 12, 48]
        assertRefused(.badRequest, "bins not ascending") { try c.command(.roma(spec), key: key) }
        XCTAssertTrue(try c.status().romaEstimates.isEmpty)
    }
}
