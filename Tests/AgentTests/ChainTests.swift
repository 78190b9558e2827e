import CEdgeAgentSupport
import EdgeAgent
import EdgeChain
import EdgeClient
import EdgeFormat
import EdgeRuntime
import EdgeSplit
import EdgeTransfer
import EdgeTrust
import EdgeWire
import Foundation
import EdgeTestSupport
import XCTest

/// Split runs across real edged processes on 127.0.0.1: `edgec deploy`'s logic pushes the
/// slices and sets forwarding; a request to the first agent crosses the chain and returns
/// the same output as the in-process split run (same codec, same interpreter). Loops,
/// over-long chains, bad tensors, dead and silent next hops are refused within deadlines.
final class ChainTests: AgentTestCase {
    var agents: [AgentProcess] = []

    override func tearDownWithError() throws {
        for a in agents { a.kill() }
        agents = []
        try super.tearDownWithError()
    }

    func startAgents(_ n: Int) throws -> [String] {
        for i in 0..<n {
            let d = tmp.appendingPathComponent("agent\(i)")
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            agents.append(try AgentProcess(dir: d, extra: ["--workers", "1"]))
        }
        return agents.map { $0.address }
    }

    /// Writes a split directory like `edgec split -o` does.
    /// `calibrated`: measure on the digits images (only for a split of the whole model).
    func split(_ modelPath: String, at: Int, _ tl: TransferLayerKind, _ enc: TransferEncoding, _ name: String,
               calibrated: Bool = true) throws -> String {
        try writeSplit(modelPath, at: at, tl, enc, name, calibration: calibrated ? AgentFixtures.portfolio.path : nil)
    }

    var digitsPath: String {
        get throws {
            let p = tmp.appendingPathComponent("digits.edgm").path
            if !FileManager.default.fileExists(atPath: p) { try FileIO.write(p, dense.model) }
            return p
        }
    }

    func testTwoAgentsMatchTheLocalSplitRun() throws {
        let dir = try split(try digitsPath, at: 1, .pca(8), .u8, "d1")
        let chain = try startAgents(2)
        let hops = try ChainDeploy(chain: chain, name: "digits", version: 1).deploy(try ChainPlan.load(splitDirs: [dir]), key: key)
        XCTAssertEqual(hops.map(\.variant), ["digits-s0", "digits-s1"])

        let local = try SplitManifest.pipeline(dir)
        let frame = try local.run(AgentFixtures.sample.data)
        let expected = Array(local.output(0))
        let r = try AgentClient(address: chain[0]).infer(input())
        XCTAssertEqual(r.variant, "digits-s1", "the last slice serves the reply")
        XCTAssertEqual(try outputs(r), expected, "same codec and interpreter: the chain reproduces edgec run --split exactly")
        XCTAssertEqual(r.chain.map(\.variant), ["digits-s0", "digits-s1"])
        guard r.chain.count == 2 else { return }  // no trap: a crashed test process would leave its agents running
        // The first hop sent the TransferTensor inside a Forward, Envelope and frame header.
        XCTAssertGreaterThan(Int(r.chain[0].sentBytes), frame.bytes.count)
        XCTAssertLessThan(Int(r.chain[0].sentBytes), frame.bytes.count + 40)
        XCTAssertEqual(r.chain[1].sentBytes, 0)
        XCTAssertGreaterThanOrEqual(r.chain[0].totalNanos, r.chain[1].totalNanos)
        let s0 = try AgentClient(address: chain[0]).status(), s1 = try AgentClient(address: chain[1]).status()
        XCTAssertEqual(s0.forwardTo, chain[1])
        XCTAssertEqual(s0.forwardVariant, "digits-s0")
        XCTAssertEqual(s0.forwarded, 1)
        XCTAssertEqual(s1.forwardTo, "")
        XCTAssertNotEqual(s0.agentId, s1.agentId)
        // A second request reuses the kept connection and agrees again.
        XCTAssertEqual(try outputs(try AgentClient(address: chain[0]).infer(input())), expected)
    }

    /// Three slices: the first directory's tail split again; the agents forward twice.
    func testThreeAgentsMatchTheLocalChain() throws {
        let d1 = try split(try digitsPath, at: 1, .none, .f16, "d1")
        let d2 = try split(d1 + "/tail.edgm", at: 1, .none, .u8, "d2", calibrated: false)
        let plan = try ChainPlan.load(splitDirs: [d1, d2])
        XCTAssertEqual(plan.slices.count, 3)
        XCTAssertEqual(plan.links.map(\.encoding), [.f16, .u8])
        let chain = try startAgents(3)
        _ = try ChainDeploy(chain: chain, name: "digits3", version: 1).deploy(plan, key: key)

        // Locally: d1's head and link, then d2's pipeline on what d1's tail received.
        let p1 = try SplitManifest.pipeline(d1), p2 = try SplitManifest.pipeline(d2)
        try p1.run(AgentFixtures.sample.data)
        let received = Array(p1.tail.read(tensor: Int(p1.tail.model.graph.inputs[0])))
        try p2.run(received)
        let expected = Array(p2.output(0))
        let r = try AgentClient(address: chain[0]).infer(input())
        XCTAssertEqual(try outputs(r), expected)
        XCTAssertEqual(r.chain.map(\.variant), ["digits3-s0", "digits3-s1", "digits3-s2"])
        // And within the split's fidelity of the unsplit model (f16 then u8 of the maps).
        let unsplit = dense.expected
        XCTAssertLessThan(AgentFixtures.maxDiff(try outputs(r), unsplit), 0.05 * (unsplit.map { abs($0) }.max() ?? 1))

        // A chain whose directories do not belong together is refused before any push.
        XCTAssertThrowsError(try ChainPlan.load(splitDirs: [d2, d1]))
        XCTAssertThrowsError(try ChainDeploy(chain: Array(chain.prefix(2)), name: "x", version: 1).deploy(plan, key: key))
    }

    /// An agent told to forward to itself: the forwarded request comes back to it and is
    /// refused as a loop; the refusal travels back to the client.
    func testForwardLoopIsRefused() throws {
        let dir = try split(try digitsPath, at: 1, .none, .f32, "d1")
        let chain = try startAgents(1)
        let (h, p) = try parseAddress(chain[0])
        let head = try FileIO.read(dir + "/head.edgm")
        try AgentClient(address: chain[0]).push(try ArtifactSigner.sign(model: head, metadata: ArtifactMetadata(name: "head", version: 1, family: "d"),
                                                                        secretKey: key), key: key, activate: true)
        try AgentClient(address: chain[0]).command(.forward(ForwardTarget(variant: "head", host: h, port: p, encoding: 0, zlib: false,
                                                                          timeoutMs: 2000)), key: key)
        do {
            _ = try AgentClient(address: chain[0]).infer(input())
            XCTFail("a self-forward was served")
        } catch ClientError.refused(let code, let message) {
            XCTAssertEqual(code, .badRequest)
            XCTAssertTrue(message.contains("forward loop"), message)
        }
        // Forwarding for a variant that is not installed is refused; an unsigned one too.
        assertRefused(.noSuchVariant, "forward for a missing variant") {
            try AgentClient(address: chain[0]).command(.forward(ForwardTarget(variant: "nope", host: h, port: p, encoding: 0, zlib: false,
                                                                              timeoutMs: 0)), key: key)
        }
        assertRefused(.unauthenticated, "forward signed by an untrusted key") {
            try AgentClient(address: chain[0]).command(.forward(ForwardTarget(variant: "head", host: "", port: 0, encoding: 0, zlib: false,
                                                                              timeoutMs: 0)), key: AgentFixtures.otherKeys.secretKey)
        }
    }

    /// FORWARD frames sent by hand: too many agents already visited, a tensor of the wrong
    /// shape, a lying payload. Each is refused; the agent keeps serving.
    func testMalformedForwardsAreRefused() throws {
        let dir = try split(try digitsPath, at: 1, .none, .f32, "d1")
        let chain = try startAgents(1)
        let tail = try FileIO.read(dir + "/tail.edgm")
        try AgentClient(address: chain[0]).push(try ArtifactSigner.sign(model: tail, metadata: ArtifactMetadata(name: "tail", version: 1, family: "d"),
                                                                        secretKey: key), key: key, activate: true)
        let p = try SplitManifest.pipeline(dir)
        let shape = p.transferShape
        let zeros = [Float](repeating: 0.5, count: shape.reduce(1, *))
        let good = try zeros.withUnsafeBufferPointer { try TransferCodec.encode($0, shape: shape, encoding: .f16) }
        let c = try AgentConnection(address: chain[0])
        guard case .inferReply(let ok) = try c.request(.forward(ForwardRequest(tensor: good, visited: [7], zlibOutputs: false))) else {
            return XCTFail("no reply")
        }
        XCTAssertEqual(ok.outputs.first?.shape, [1, 10])
        XCTAssertEqual(ok.chain.count, 1)

        var wrongShape = good
        wrongShape.shape = [1, shape[1], shape[2] * shape[3]]
        var lying = good
        lying.rawBytes *= 2
        let cases: [(ForwardRequest, String)] = [
            (ForwardRequest(tensor: good, visited: Array(1...UInt64(ForwardRequest.maxAgents)), zlibOutputs: false), "chain too long"),
            (ForwardRequest(tensor: wrongShape, visited: [7], zlibOutputs: false), "expects"),
            (ForwardRequest(tensor: lying, visited: [7], zlibOutputs: false), "payload"),
        ]
        for (req, text) in cases {
            assertRefused(.badRequest, text) { _ = try AgentConnection(address: chain[0]).request(.forward(req)) }
            do { _ = try AgentConnection(address: chain[0]).request(.forward(req)) } catch ClientError.refused(_, let m) {
                XCTAssertTrue(m.contains(text), m)
            }
        }
        XCTAssertEqual(try AgentClient(address: chain[0]).status().active, "tail")
    }

    /// A next hop that is gone (io) or accepts and never answers (timeout, within the
    /// forward's deadline): refused, counted, and the first agent stays healthy.
    func testDeadAndSilentNextHops() throws {
        let dir = try split(try digitsPath, at: 1, .none, .f32, "d1")
        let chain = try startAgents(1)
        let head = try FileIO.read(dir + "/head.edgm")
        try AgentClient(address: chain[0]).push(try ArtifactSigner.sign(model: head, metadata: ArtifactMetadata(name: "head", version: 1, family: "d"),
                                                                        secretKey: key), key: key, activate: true)
        // A listener that accepts and never replies; a port with nobody listening.
        let silent = "127.0.0.1".withCString { edge_tcp_listen($0, 0, 4) }
        XCTAssertGreaterThanOrEqual(silent, 0)
        defer { edge_close(silent) }
        let silentPort = edge_tcp_port(silent)
        let closed = "127.0.0.1".withCString { edge_tcp_listen($0, 0, 1) }
        let closedPort = edge_tcp_port(closed)
        edge_close(closed)

        for (port, code) in [(closedPort, RefusalCode.io), (silentPort, .timeout)] {
            try AgentClient(address: chain[0]).command(.forward(ForwardTarget(variant: "head", host: "127.0.0.1", port: port, encoding: 0,
                                                                              zlib: false, timeoutMs: 400)), key: key)
            let t0 = Date()
            assertRefused(code, "forward to port \(port)") { _ = try AgentClient(address: chain[0]).infer(input()) }
            XCTAssertLessThan(Date().timeIntervalSince(t0), 3, "the forward deadline bounds the wait")
        }
        let s = try AgentClient(address: chain[0]).status()
        XCTAssertEqual(s.forwardFailed, 2)
        // Forwarding off: the head's own output comes back.
        try AgentClient(address: chain[0]).command(.forward(ForwardTarget(variant: "head", host: "", port: 0, encoding: 0, zlib: false,
                                                                          timeoutMs: 0)), key: key)
        let r = try AgentClient(address: chain[0]).infer(input())
        XCTAssertEqual(r.outputs.first?.shape, try SplitManifest.pipeline(dir).transferShape)
    }
}

extension AgentTestCase {
    /// Writes a split directory into the test's scratch directory, as `edgec split -o` does.
    func writeSplit(_ modelPath: String, at: Int, _ tl: TransferLayerKind, _ enc: TransferEncoding, _ name: String,
                    calibration: String?) throws -> String {
        var o = SplitOptions(at: "\(at)")
        o.transferLayer = tl
        o.encoding = enc
        o.calibration = calibration
        let r = try Splitter.split(modelPath: modelPath, options: o)
        let dir = tmp.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileIO.write(dir + "/head.edgm", r.head)
        try FileIO.write(dir + "/tail.edgm", r.tail)
        try FileIO.write(dir + "/split.json", Array(r.report.jsonText().utf8))
        return dir
    }
}

/// `edgec deploy` itself: exit codes for a bad chain, a malformed split, an unreachable agent.
final class DeployCommandLineTests: AgentTestCase {
    /// edgec's exit status and stderr (where its refusals are).
    func edgecRefusal(_ args: [String]) throws -> (Int32, String) {
        let r = try CommandRunner.edgec(args)
        return (r.status, r.stderr)
    }

    func testExitCodes() throws {
        let model = tmp.appendingPathComponent("digits.edgm").path
        try FileIO.write(model, dense.model)
        let dir = try writeSplit(model, at: 1, .none, .u8, "d1", calibration: nil)
        let keyPath = tmp.appendingPathComponent("ops.key").path
        try KeyFile.secretText(key).write(toFile: keyPath, atomically: true, encoding: .utf8)

        var (code, text) = try edgecRefusal(["deploy", dir, "--chain", "127.0.0.1:1", "--key", keyPath])
        XCTAssertEqual(code, 2, text)
        XCTAssertTrue(text.contains("2 slices"), text)
        (code, text) = try edgecRefusal(["deploy", tmp.path, "--chain", "127.0.0.1:1,127.0.0.1:2", "--key", keyPath])
        XCTAssertEqual(code, 3, text)  // no split.json there
        let closed = "127.0.0.1".withCString { edge_tcp_listen($0, 0, 1) }
        let port = edge_tcp_port(closed)
        edge_close(closed)
        (code, text) = try edgecRefusal(["deploy", dir, "--chain", "127.0.0.1:\(port),127.0.0.1:\(port)", "--key", keyPath])
        XCTAssertEqual(code, 9, text)
    }
}
