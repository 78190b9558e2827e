import EdgeCompiler
import EdgeFormat
import EdgeTestSupport
import EdgeWire

/// What OnnxReader made of an input: "read", the EdgeError kind, "unexpected" for any
/// other error; plus "multiline" when an error message spans lines (it must not).
func onnxReaderOutcome(_ bytes: [UInt8]) -> [String] {
    do {
        _ = try OnnxReader.read(bytes: bytes)
        return ["read"]
    } catch let error as EdgeError {
        return error.message.contains("\n") ? ["\(error.kind)", "multiline"] : ["\(error.kind)"]
    } catch {
        return ["unexpected"]
    }
}

/// Random edits of a valid ONNX file (overwrite, bit flip, insert, delete, special byte,
/// cut a span) fed to the ONNX reader alone.
struct OnnxReaderMutationCampaign: Campaign {
    let original: [UInt8]

    init(sources: [FuzzSource]) throws {
        guard let source = sources.first else { throw TestFailure(message: "onnx-read: one source file expected") }
        original = try source.bytes
    }

    func input(_ index: Int, _ rng: inout SeededRNG) -> [UInt8] {
        var bytes = original
        for _ in 0..<(1 + rng.below(4)) {
            let at = rng.below(bytes.count)
            switch rng.below(6) {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            case 1: bytes[at] ^= UInt8(1) << rng.below(8)
            case 2: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            case 3: if bytes.count > 1 { bytes.remove(at: at) }
            case 4: bytes[at] = [0x00, 0x7F, 0x80, 0xFF][rng.below(4)]
            default: bytes = Array(bytes[0..<at]) + Array(bytes[min(bytes.count, at + rng.below(16))...])
            }
            if bytes.isEmpty { bytes = [0] }
        }
        return bytes
    }

    func execute(_ input: [UInt8], index: Int) -> [String] { onnxReaderOutcome(input) }
}

/// 1 to 600 random bytes: never a model, always a format error.
struct OnnxRandomBytesCampaign: Campaign {
    init(sources: [FuzzSource]) throws {}

    func input(_ index: Int, _ rng: inout SeededRNG) -> [UInt8] {
        (0..<(1 + rng.below(600))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    func execute(_ input: [UInt8], index: Int) -> [String] { onnxReaderOutcome(input) }
}

/// The agent's frame decoder on a valid Infer frame with bytes of its body overwritten
/// (even iterations: the protobuf parser) and on short random byte strings (odd ones).
struct WireFrameCampaign: Campaign {
    let valid = WireFrame.wrap(Envelope(requestId: 9, .infer(InferRequest(inputs: [
        WireTensor(name: "in", shape: [2, 2], data: [UInt8](repeating: 1, count: 16))]))).encode())

    init(sources: [FuzzSource]) throws {}

    func input(_ index: Int, _ rng: inout SeededRNG) -> [UInt8] {
        var f = valid
        if index % 2 == 0 {
            for _ in 0..<(1 + index % 4) { f[8 + rng.below(f.count - 8)] = UInt8(truncatingIfNeeded: rng.next()) }
        } else {
            f = (0..<rng.below(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return f
    }

    func execute(_ input: [UInt8], index: Int) -> [String] {
        input.withUnsafeBytes { raw in
            do throws(WireError) {
                _ = try WireFrame.decode(raw, maxBody: WireFrame.defaultMaxBody)
                return ["decoded"]
            } catch {
                return ["refused"]
            }
        }
    }
}
