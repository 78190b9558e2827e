import EdgeFormat
@testable import EdgeTransfer
import EdgeWire
import XCTest

/// Transfer encodings: exact f32, f16 and u8 within their bounds, zlib when it pays, and
/// a decoder that refuses every malformed TransferTensor message.
final class TransferCodecTests: XCTestCase {
    var state: UInt64 = 7
    func random(_ n: Int, scale: Float) -> [Float] {
        (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return scale * Float(Int64(state >> 40) - (1 << 23)) / Float(1 << 23)
        }
    }

    /// Encodes, serializes, parses and decodes: the path between two agents.
    func roundTrip(_ x: [Float], _ shape: [Int], _ e: TransferEncoding, compress: Bool = true) throws -> ([Float], TransferTensor, [UInt8]) {
        let t = try x.withUnsafeBufferPointer { try TransferCodec.encode($0, shape: shape, encoding: e, compress: compress) }
        let frame = TransferCodec.wireBytes(t)
        XCTAssertEqual(try TransferCodec.parse(wire: frame), t)
        var out = [Float](repeating: .nan, count: x.count)
        try out.withUnsafeMutableBufferPointer { try TransferCodec.decode(wire: frame, expected: shape, into: $0) }
        return (out, t, frame)
    }

    func testF32IsExact() throws {
        let shape = [1, 8, 5, 3]
        let x = random(120, scale: 1000)
        let (y, t, frame) = try roundTrip(x, shape, .f32)
        XCTAssertEqual(y, x)
        XCTAssertFalse(t.zlib)
        XCTAssertEqual(t.payload.count, 480)
        // Protobuf framing costs a few bytes: shape, raw size, the payload's tag and length.
        XCTAssertLessThanOrEqual(frame.count, 480 + 16)
    }

    func testF16WithinHalfPrecision() throws {
        let shape = [2, 4, 6, 6]
        var x = random(288, scale: 50)
        x[0] = 1e6
        x[1] = -1e6
        let (y, _, _) = try roundTrip(x, shape, .f16)
        XCTAssertEqual(y[0], 65504)
        XCTAssertEqual(y[1], -65504)
        for i in 2..<x.count {
            // Round to nearest: relative error <= 2^-11 for normal halves, absolute 2^-25 below.
            XCTAssertLessThanOrEqual(abs(y[i] - x[i]), max(abs(x[i]) * 0x1p-11, 0x1p-25), "\(x[i]) -> \(y[i])")
        }
    }

    func testU8WithinHalfAStepPerChannel() throws {
        let shape = [2, 3, 4, 5]
        var x = random(120, scale: 1)
        // Channels of very different ranges: per-channel parameters keep each tight.
        for b in 0..<2 { for i in 0..<20 { x[(b * 3 + 2) * 20 + i] *= 1000; x[(b * 3 + 1) * 20 + i] = 0.25 } }
        let (y, t, _) = try roundTrip(x, shape, .u8, compress: false)
        XCTAssertEqual(t.payload.count, 120)
        XCTAssertEqual(t.scale.count, 3)
        XCTAssertEqual(t.offset.count, 3)
        for c in 0..<3 {
            var lo = Float.infinity, hi = -Float.infinity
            for b in 0..<2 { for i in 0..<20 { lo = min(lo, x[(b * 3 + c) * 20 + i]); hi = max(hi, x[(b * 3 + c) * 20 + i]) } }
            let step = (hi - lo) / 255
            for b in 0..<2 {
                for i in 0..<20 {
                    let k = (b * 3 + c) * 20 + i
                    XCTAssertLessThanOrEqual(abs(y[k] - x[k]), step / 2 + 1e-6 * max(abs(hi), abs(lo)), "channel \(c)")
                }
            }
        }
        XCTAssertEqual(y[20], 0.25)  // a constant channel comes back exactly
    }

    func testZlibOnlyWhereItPays() throws {
        let shape = [1, 16, 8, 8]
        let zeros = [Float](repeating: 0, count: 1024)
        let (y, t, frame) = try roundTrip(zeros, shape, .f32)
        XCTAssertEqual(y, zeros)
        XCTAssertLessThan(frame.count, 200)
        XCTAssertTrue(t.zlib)
        XCTAssertEqual(t.rawBytes, 4096)
        // Uniform noise quantised to u8: incompressible, so the payload stays raw.
        let noise = random(1024, scale: 1)
        let (_, rawT, raw) = try roundTrip(noise, shape, .u8)
        XCTAssertFalse(rawT.zlib)
        XCTAssertEqual(rawT.payload.count, 1024)
        XCTAssertLessThanOrEqual(raw.count, 1024 + 2 * 16 * 4 + 24)
    }

    /// Every truncation, a wrong shape and random corruption end in an error (or, for
    /// payload bit flips that still parse, in finite values): never a crash.
    func testDecoderRefusesMalformedFrames() throws {
        let shape = [1, 4, 3, 3]
        for e in TransferEncoding.allCases {
            for compress in [false, true] {
                let x = (0..<36).map { Float($0 % 5) }
                let t = try x.withUnsafeBufferPointer { try TransferCodec.encode($0, shape: shape, encoding: e, compress: compress) }
                let frame = TransferCodec.wireBytes(t)
                var out = [Float](repeating: 0, count: 36)
                for n in 0..<frame.count {
                    XCTAssertThrowsError(try out.withUnsafeMutableBufferPointer { try TransferCodec.decode(wire: Array(frame[0..<n]), expected: shape, into: $0) })
                }
                XCTAssertThrowsError(try out.withUnsafeMutableBufferPointer { try TransferCodec.decode(wire: frame + [0], expected: shape, into: $0) })
                XCTAssertThrowsError(try out.withUnsafeMutableBufferPointer { try TransferCodec.decode(wire: frame, expected: [1, 4, 9], into: $0) })
                // Well-formed messages that lie about their contents.
                var lies: [TransferTensor] = []
                var m = t; m.rawBytes += 1; lies.append(m)
                m = t; m.payload.removeLast(); lies.append(m)
                m = t; m.zlib.toggle(); lies.append(m)
                m = t; m.scale.append(1); m.offset.append(0); lies.append(m)
                m = t; m.encoding = 3; lies.append(m)
                if e == .u8 { m = t; m.scale[1] = -1; lies.append(m); m = t; m.offset[0] = .nan; lies.append(m) }
                for (i, lie) in lies.enumerated() {
                    XCTAssertThrowsError(try out.withUnsafeMutableBufferPointer { try TransferCodec.decode(lie, expected: shape, into: $0) },
                                         "\(e) compress \(compress) lie \(i)")
                }
                for trial in 0..<300 {
                    var bad = frame
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let pos = Int(state >> 33) % bad.count
                    bad[pos] ^= UInt8(truncatingIfNeeded: (state >> 20) | 1)
                    _ = trial
                    _ = try? out.withUnsafeMutableBufferPointer { try TransferCodec.decode(wire: bad, expected: shape, into: $0) }
                }
            }
        }
    }
}
