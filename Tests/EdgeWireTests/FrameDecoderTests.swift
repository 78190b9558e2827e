import EdgeTestSupport
import XCTest
import EdgeRoma
@testable import EdgeWire

final class FrameDecoderTests: XCTestCase {
    private func decode(_ bytes: [UInt8], maxBody: Int = WireFrame.defaultMaxBody) -> Result<Envelope, WireError> {
        bytes.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try WireFrame.decode(raw, maxBody: maxBody)) } catch { return .failure(error) }
        }
    }

    private func refusal(_ bytes: [UInt8], maxBody: Int = WireFrame.defaultMaxBody) -> RefusalCode? {
        if case .failure(let e) = decode(bytes, maxBody: maxBody) { return e.code }
        return nil
    }

    func testRoundTripOfEveryMessage() throws {
        let t = WireTensor(name: "x", shape: [1, 2], data: [0, 0, 128, 63, 0, 0, 0, 64])
        var st = AgentStatus()
        st.active = "a"; st.previous = "b"; st.served = 7; st.switches = 3; st.lastCounter = 99
        st.variants = [VariantInfo(name: "a", version: 2, bytes: 100, family: "digits", resident: true)]
        let messages: [Message] = [
            .infer(InferRequest(inputs: [t], zlibOutputs: true)),
            .inferReply(InferReply(outputs: [t, t], variant: "v1", variantVersion: 4, latencyNanos: 1234)),
            .signed(command: [1, 2, 3], signature: [UInt8](repeating: 9, count: 64)),
            .pushChunk(offset: 1 << 20, data: [5, 6, 7]),
            .status, .statusReply(st), .ok("done"), .refused(.replayedCommand, "counter 3 <= 5"),
        ]
        for (i, m) in messages.enumerated() {
            let frame = WireFrame.wrap(Envelope(requestId: UInt64(i + 1), m).encode())
            guard case .success(let e) = decode(frame) else { return XCTFail("message \(i) did not round-trip") }
            XCTAssertEqual(e.requestId, UInt64(i + 1))
            switch (m, e.message) {
            case (.infer(let a), .infer(let b)):
                XCTAssertEqual(b.inputs.count, 1); XCTAssertEqual(b.inputs[0].shape, a.inputs[0].shape)
                XCTAssertEqual(b.inputs[0].data, a.inputs[0].data); XCTAssertEqual(b.inputs[0].name, "x"); XCTAssertTrue(b.zlibOutputs)
            case (.inferReply(let a), .inferReply(let b)):
                XCTAssertEqual(b.outputs.count, 2); XCTAssertEqual(b.variant, a.variant)
                XCTAssertEqual(b.variantVersion, 4); XCTAssertEqual(b.latencyNanos, 1234)
            case (.signed(let c, let s), .signed(let c2, let s2)):
                XCTAssertEqual(c, c2); XCTAssertEqual(s, s2)
            case (.pushChunk(let o, let d), .pushChunk(let o2, let d2)):
                XCTAssertEqual(o, o2); XCTAssertEqual(d, d2)
            case (.status, .status): break
            case (.statusReply, .statusReply(let s)):
                XCTAssertEqual(s.active, "a"); XCTAssertEqual(s.previous, "b"); XCTAssertEqual(s.served, 7)
                XCTAssertEqual(s.lastCounter, 99); XCTAssertEqual(s.variants.count, 1); XCTAssertEqual(s.variants[0].family, "digits")
            case (.ok(let a), .ok(let b)): XCTAssertEqual(a, b)
            case (.refused(let c, let a), .refused(let c2, let b)): XCTAssertEqual(c, c2); XCTAssertEqual(a, b)
            default: XCTFail("message \(i) decoded as a different kind")
            }
        }
    }

    /// The split-run messages: FORWARD with its TransferTensor, the chain trace on a reply,
    /// the forwarding command and the status fields; structural refusals of each.
    func testForwardMessagesRoundTrip() throws {
        let tensor = TransferTensor(encoding: 2, shape: [1, 2, 3], zlib: true, rawBytes: 6, scale: [0.5, 2], offset: [-1, 0],
                                    payload: [9, 8, 7])
        let forward = ForwardRequest(tensor: tensor, visited: [11, 22], zlibOutputs: true)
        guard case .success(let e) = decode(WireFrame.wrap(Envelope(requestId: 5, .forward(forward)).encode())),
              case .forward(let f) = e.message else { return XCTFail("forward did not round-trip") }
        XCTAssertEqual(f.tensor, tensor)
        XCTAssertEqual(f.visited, [11, 22])
        XCTAssertTrue(f.zlibOutputs)
        XCTAssertEqual(try tensor.encode().withUnsafeBytes { raw throws(WireError) in try TransferTensor.decode(raw) }, tensor)

        let hops = [ChainHop(variant: "s0", computeNanos: 3, sentBytes: 400, totalNanos: 9), ChainHop(variant: "s1", computeNanos: 4, sentBytes: 0, totalNanos: 4)]
        let reply = InferReply(outputs: [], variant: "s1", variantVersion: 2, latencyNanos: 9, chain: hops)
        guard case .success(let r) = decode(WireFrame.wrap(Envelope(requestId: 6, .inferReply(reply)).encode())),
              case .inferReply(let back) = r.message else { return XCTFail("reply did not round-trip") }
        XCTAssertEqual(back.chain, hops)

        let target = ForwardTarget(variant: "s0", host: "10.0.0.2", port: 7001, encoding: 1, zlib: true, timeoutMs: 1500)
        guard case .forward(let t) = try Command.decode(Command(counter: 8, action: .forward(target)).encode()).action else {
            return XCTFail("forward command did not round-trip")
        }
        XCTAssertEqual(t, target)
        XCTAssertEqual(t.address, "10.0.0.2:7001")

        var st = AgentStatus()
        st.forwardTo = "h:1"; st.forwardVariant = "s0"; st.forwarded = 3; st.forwardFailed = 1; st.agentId = 77
        guard case .success(let se) = decode(WireFrame.wrap(Envelope(requestId: 7, .statusReply(st)).encode())),
              case .statusReply(let s) = se.message else { return XCTFail("status did not round-trip") }
        XCTAssertEqual([s.forwardTo, s.forwardVariant], ["h:1", "s0"])
        XCTAssertEqual([s.forwarded, s.forwardFailed, s.agentId], [3, 1, 77])

        // Refused structurally: an unknown encoding, unequal scale/offset counts, too many visited agents.
        var bad = tensor; bad.encoding = 7
        var uneven = tensor; uneven.offset = [0]
        let tooLong = ForwardRequest(tensor: tensor, visited: Array(1...UInt64(ForwardRequest.maxAgents + 1)), zlibOutputs: false)
        for m in [ForwardRequest(tensor: bad, visited: [], zlibOutputs: false), ForwardRequest(tensor: uneven, visited: [], zlibOutputs: false), tooLong] {
            XCTAssertEqual(refusal(WireFrame.wrap(Envelope(requestId: 1, .forward(m)).encode())), .badRequest)
        }
    }

    func testCommandRoundTripAndExactlyOneAction() throws {
        for action in [CommandAction.push(totalBytes: 10, sha256: [UInt8](repeating: 1, count: 32), activate: true),
                       .activate(name: "m"), .rollback] {
            let c = try Command.decode(Command(counter: 42, action: action).encode())
            XCTAssertEqual(c.counter, 42)
        }
        // SetRomaPolicy keeps every number (Float columns exactly, they are float on the wire).
        let det = DetectorProfile(name: "det64", ap50: 0.4, ap50BySize: [0.1, 0.2, 0.3, 0.4], recallBySize: [0.5, 0.6, 0.7, 0.8],
                                  betaBySize: [0.9, 0.6, 0.1, 0.02], latencyMedianMs: 0.18, latencyP90Ms: 0.24)
        let spec = RomaPolicySpec(detectors: [det, det], sizeBinsPx: [12, 24, 48], frameWidth: 128, frameHeight: 96, scoreMin: 0.05,
                                  maxDetections: 32, output: "maps", frameIntervalMs: 33.3)
        guard case .roma(let r) = try Command.decode(Command(counter: 7, action: .roma(spec)).encode()).action else {
            return XCTFail("not a roma command")
        }
        XCTAssertEqual(r.detectors, [det, det])
        XCTAssertEqual(r.sizeBinsPx, [12, 24, 48])
        XCTAssertEqual(r.frameWidth, 128); XCTAssertEqual(r.frameHeight, 96); XCTAssertEqual(r.scoreMin, 0.05)
        XCTAssertEqual(r.maxDetections, 32); XCTAssertEqual(r.output, "maps"); XCTAssertEqual(r.frameIntervalMs, 33.3)
        guard case .roma(let off) = try Command.decode(Command(counter: 8, action: .roma(.off)).encode()).action else {
            return XCTFail("ROMA off is still a roma command")
        }
        XCTAssertTrue(off.detectors.isEmpty)
        // Status carries the ROMA state.
        var st = AgentStatus()
        st.romaEstimates = [RomaEstimate(name: "det64", accuracy: 0.5, latencyMs: 4.5)]
        st.romaCurrent = "det64"; st.romaSwitches = 3; st.romaOutputs = 99; st.romaIntervalMs = 33.3
        guard case .success(let e) = decode(WireFrame.wrap(Envelope(requestId: 1, .statusReply(st)).encode())),
              case .statusReply(let s) = e.message else { return XCTFail("status did not round-trip") }
        XCTAssertEqual(s.romaEstimates.map(\.name), ["det64"]); XCTAssertEqual(s.romaEstimates[0].accuracy, 0.5)
        XCTAssertEqual(s.romaEstimates[0].latencyMs, 4.5); XCTAssertEqual(s.romaCurrent, "det64")
        XCTAssertEqual(s.romaSwitches, 3); XCTAssertEqual(s.romaOutputs, 99); XCTAssertEqual(s.romaIntervalMs, 33.3)
        // A Command with no action (just a counter: field 1 varint) is refused.
        XCTAssertThrowsError(try Command.decode([0x08, 0x2a]))
    }

    func testWrongVersionIsRefusedBeforeTheBody() {
        var frame = WireFrame.wrap(Envelope(requestId: 1, .status).encode())
        frame[2] = 2
        XCTAssertEqual(refusal(frame), .unsupportedVersion)
    }

    func testGarbageIsRefused() {
        XCTAssertEqual(refusal(Array("GET / HTTP/1.1\r\n\r\n".utf8)), .malformedFrame)
        // Right header, body that is not protobuf.
        let body: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff]
        XCTAssertEqual(refusal(WireFrame.wrap(body)), .malformedFrame)
        // Nonzero reserved flags.
        var f = WireFrame.wrap(Envelope(requestId: 1, .status).encode()); f[3] = 1
        XCTAssertEqual(refusal(f), .malformedFrame)
        // Valid protobuf with an unknown kind.
        XCTAssertEqual(refusal(WireFrame.wrap([0x08, 0x63])), .malformedFrame)
        // Kind without its body.
        XCTAssertEqual(refusal(WireFrame.wrap([0x08, 0x01])), .malformedFrame)
    }

    func testTruncatedFramesAreRefused() {
        let frame = WireFrame.wrap(Envelope(requestId: 3, .pushChunk(offset: 0, data: [UInt8](repeating: 7, count: 300))).encode())
        for cut in [0, 1, 4, 7, 8, 9, frame.count / 2, frame.count - 1] {
            XCTAssertNotNil(refusal(Array(frame[0..<cut])), "cut at \(cut) accepted")
        }
        XCTAssertNil(refusal(frame))
    }

    func testOversizedFrameIsRefusedFromTheHeaderAlone() {
        let header = WireFrame.header(length: 5000)
        let code: RefusalCode? = header.withUnsafeBytes { raw in
            do throws(WireError) { _ = try WireFrame.bodyLength(header: raw, maxBody: 4096); return nil } catch { return error.code }
        }
        XCTAssertEqual(code, .frameTooLarge)
        XCTAssertEqual(refusal(WireFrame.wrap([UInt8](repeating: 0, count: 5000)), maxBody: 4096), .frameTooLarge)
    }

    func testRandomBytesNeverCrash() throws {
        // 3000 frames (a valid Infer frame with body bytes overwritten, or random bytes) in
        // edge-fuzz children: a trap fails this test alone, naming the saved input.
        let report = try FuzzCampaign("wire", seed: 9, iterations: 3000).run()
        report.assertNoCrashes("wire frames")
        XCTAssertGreaterThan(report["decoded"], 0)  // some mutations still parse; none may crash
    }
}
