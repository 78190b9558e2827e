import EdgeFormat
import EdgeRuntime

/// How the transferred tensor's values travel (Formats/TRANSFER.md).
public enum TransferEncoding: UInt8, CaseIterable, CustomStringConvertible {
    case f32 = 0
    /// IEEE half precision, round to nearest even; values beyond +-65504 saturate.
    case f16 = 1
    /// One byte per value with a per-channel scale and offset: x ~ offset + q * scale,
    /// offset = the channel's minimum, scale = (max - min) / 255, so |error| <= scale / 2.
    case u8 = 2

    public static func parse(_ text: String) throws(EdgeError) -> TransferEncoding {
        switch text {
        case "f32": return .f32
        case "f16": return .f16
        case "u8": return .u8
        default: throw EdgeError(.invalidArgument, "--transfer '\(text)' is not one of f32, f16, u8")
        }
    }

    public var description: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .u8: return "u8"
        }
    }

    var bytesPerValue: Int {
        switch self {
        case .f32: return 4
        case .f16: return 2
        case .u8: return 1
        }
    }
}

/// Encodes and decodes one transferred tensor ("frame"): a small header, the per-channel
/// parameters (u8 only), and the payload, zlib-deflated when that makes it smaller.
///
/// Foundation-free so that the device agent can use the same code. The decoder trusts
/// nothing: magic, version, encoding, rank, dims (against the shape the tail expects),
/// sizes and the inflated length are all checked before anything is written.
public enum TransferCodec {
    public static let magic: UInt32 = 0x5447_4445  // "EDGT"
    public static let version: UInt8 = 1
    public static let flagZlib: UInt8 = 1

    /// Channels of a tensor for per-channel parameters: dim 1 of rank >= 2, else 1.
    static func channelLayout(_ shape: [Int]) -> (batch: Int, channels: Int, inner: Int) {
        guard shape.count >= 2 else { return (1, 1, shape.reduce(1, *)) }
        return (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
    }

    /// `compress`: try zlib and keep it only when smaller than the raw payload.
    public static func encode(_ x: UnsafeBufferPointer<Float>, shape: [Int], encoding: TransferEncoding,
                              compress: Bool = true) throws(EdgeError) -> [UInt8] {
        var payload = ByteWriter()
        var params = ByteWriter()
        switch encoding {
        case .f32:
            payload.append(UnsafeRawBufferPointer(x))
        case .f16:
            for v in x {
                let s = v.isNaN ? v : Swift.min(Swift.max(v, -65504), 65504)
                payload.u16(Float16(s).bitPattern)
            }
        case .u8:
            let (batch, channels, inner) = channelLayout(shape)
            var q = [UInt8](repeating: 0, count: x.count)
            for c in 0..<channels {
                var lo = Float.infinity, hi = -Float.infinity
                for b in 0..<batch {
                    let base = (b * channels + c) * inner
                    for i in 0..<inner where x[base + i].isFinite {
                        lo = Swift.min(lo, x[base + i])
                        hi = Swift.max(hi, x[base + i])
                    }
                }
                if lo > hi { lo = 0; hi = 0 }
                let scale = (hi - lo) / 255
                params.f32(scale)
                params.f32(lo)
                let inv: Float = scale > 0 ? 1 / scale : 0
                for b in 0..<batch {
                    let base = (b * channels + c) * inner
                    for i in 0..<inner {
                        let v = x[base + i].isNaN ? lo : x[base + i]
                        let r = ((v - lo) * inv).rounded()
                        q[base + i] = UInt8(Swift.min(Swift.max(r, 0), 255))
                    }
                }
            }
            payload.append(q)
        }
        var body = payload.bytes
        var flags: UInt8 = 0
        if compress, !body.isEmpty {
            let packed = try Zlib.compress(body)
            if packed.count < body.count {
                body = packed
                flags |= flagZlib
            }
        }
        var w = ByteWriter()
        w.u32(magic)
        w.u8(version)
        w.u8(encoding.rawValue)
        w.u8(flags)
        w.u8(UInt8(shape.count))
        for d in shape { w.u32(UInt32(d)) }
        w.u32(UInt32(payload.count))
        w.u32(UInt32(body.count))
        w.append(params.bytes)
        w.append(body)
        return w.bytes
    }

    /// What a frame's header says (for reports and for the decoder).
    public struct Header: Equatable {
        public var encoding: TransferEncoding
        public var compressed: Bool
        public var shape: [Int]
        public var rawPayloadBytes: Int
        public var storedPayloadBytes: Int
        /// Offset of the per-channel parameters (u8) or the payload.
        public var paramsOffset: Int
    }

    public static func header(_ frame: UnsafeRawBufferPointer) throws(EdgeError) -> Header {
        var r = ByteReader(frame, context: "transfer frame")
        guard try r.u32("magic") == magic else { throw EdgeError(.format, "transfer frame: bad magic (not an EDGT frame)") }
        let v = try r.u8("version")
        guard v == version else { throw EdgeError(.unsupported, "transfer frame: version \(v) is not supported (this build reads \(version))") }
        let e = try r.u8("encoding")
        guard let encoding = TransferEncoding(rawValue: e) else { throw EdgeError(.format, "transfer frame: unknown encoding \(e)") }
        let flags = try r.u8("flags")
        guard flags & ~flagZlib == 0 else { throw EdgeError(.format, "transfer frame: unknown flags 0x\(String(flags, radix: 16))") }
        let rank = Int(try r.u8("rank"))
        guard rank <= 8 else { throw EdgeError(.format, "transfer frame: rank \(rank) exceeds 8") }
        var shape: [Int] = []
        for _ in 0..<rank { shape.append(Int(try r.u32("dim"))) }
        let raw = Int(try r.u32("payload size"))
        let stored = Int(try r.u32("stored payload size"))
        return Header(encoding: encoding, compressed: flags & flagZlib != 0, shape: shape,
                      rawPayloadBytes: raw, storedPayloadBytes: stored, paramsOffset: r.position)
    }

    /// Decodes `frame` into `out`, which must hold a tensor of shape `expected`.
    public static func decode(_ frame: UnsafeRawBufferPointer, expected: [Int],
                              into out: UnsafeMutableBufferPointer<Float>) throws(EdgeError) {
        let h = try header(frame)
        guard h.shape == expected else {
            throw EdgeError(.shape, "transfer frame carries \(ShapeText.of(h.shape)), the tail expects \(ShapeText.of(expected))")
        }
        let count = expected.reduce(1, *)
        guard out.count == count else { throw EdgeError(.shape, "transfer frame: output buffer holds \(out.count) values, need \(count)") }
        guard h.rawPayloadBytes == count * h.encoding.bytesPerValue else {
            throw EdgeError(.format, "transfer frame: payload of \(h.rawPayloadBytes) bytes does not match \(count) \(h.encoding) values")
        }
        let (batch, channels, inner) = channelLayout(expected)
        let paramBytes = h.encoding == .u8 ? channels * 8 : 0
        let start = h.paramsOffset + paramBytes
        guard start <= frame.count, frame.count - start == h.storedPayloadBytes else {
            throw EdgeError(.format, "transfer frame: \(frame.count) bytes, header promises \(start) + \(h.storedPayloadBytes)")
        }
        let stored = UnsafeRawBufferPointer(rebasing: frame[start...])
        var inflated: [UInt8] = []
        let payload: UnsafeRawBufferPointer
        if h.compressed {
            inflated = [UInt8](repeating: 0, count: h.rawPayloadBytes)
            let status: Result<Void, EdgeError> = inflated.withUnsafeMutableBytes { dst in
                do throws(EdgeError) { try Zlib.decompress(stored, into: dst); return .success(()) } catch { return .failure(error) }
            }
            try status.get()
            payload = UnsafeRawBufferPointer(start: nil, count: 0)
        } else {
            guard h.storedPayloadBytes == h.rawPayloadBytes else {
                throw EdgeError(.format, "transfer frame: uncompressed payload of \(h.storedPayloadBytes) bytes, expected \(h.rawPayloadBytes)")
            }
            payload = stored
        }
        func fill(_ p: UnsafeRawBufferPointer) throws(EdgeError) {
            switch h.encoding {
            case .f32:
                for i in 0..<count { out[i] = Float(bitPattern: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
            case .f16:
                for i in 0..<count { out[i] = Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)) }
            case .u8:
                var r = ByteReader(UnsafeRawBufferPointer(rebasing: frame[h.paramsOffset..<start]), context: "transfer frame parameters")
                for c in 0..<channels {
                    let scale = try r.f32("scale"), offset = try r.f32("offset")
                    guard scale.isFinite, offset.isFinite, scale >= 0 else {
                        throw EdgeError(.format, "transfer frame: channel \(c) has scale \(scale), offset \(offset)")
                    }
                    for b in 0..<batch {
                        let base = (b * channels + c) * inner
                        for i in 0..<inner { out[base + i] = offset + Float(p[base + i]) * scale }
                    }
                }
            }
        }
        if h.compressed {
            try TransferCodec.withBytes(inflated) { (p) throws(EdgeError) in try fill(p) }
        } else {
            try fill(payload)
        }
    }

    /// `bytes.withUnsafeBytes` for a typed-throwing body (the standard one rethrows untyped).
    public static func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(EdgeError) -> R) throws(EdgeError) -> R {
        let r: Result<R, EdgeError> = bytes.withUnsafeBytes { p in
            do throws(EdgeError) { return .success(try body(p)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    public static func decode(_ frame: [UInt8], expected: [Int], into out: UnsafeMutableBufferPointer<Float>) throws(EdgeError) {
        try withBytes(frame) { (p) throws(EdgeError) in try decode(p, expected: expected, into: out) }
    }
}
