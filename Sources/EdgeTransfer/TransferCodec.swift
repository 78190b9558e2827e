import EdgeFormat
import EdgeWire

/// How the transferred tensor's values travel (Formats/TRANSFER.md). The raw values are
/// those of `TransferTensor.Encoding` in Formats/edge_wire.proto.
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

    public var bytesPerValue: Int {
        switch self {
        case .f32: return 4
        case .f16: return 2
        case .u8: return 1
        }
    }
}

/// Encodes a slice's output into the `TransferTensor` message that crosses the link, and
/// decodes one into the next slice's input. The one copy of this logic: `edgec split`
/// measures with it, `edgec run --split` runs through it and the agents (edged, also the
/// Embedded device build) forward with it, so it stays Foundation-free.
///
/// The decoder trusts nothing: encoding, dims (against the shape the receiving slice
/// expects), sizes, the inflated length and the u8 parameters are all checked before
/// anything is written.
public enum TransferCodec {
    /// Channels of a tensor for per-channel parameters: dim 1 of rank >= 2, else 1.
    static func channelLayout(_ shape: [Int]) -> (batch: Int, channels: Int, inner: Int) {
        guard shape.count >= 2 else {
            var n = 1
            for d in shape { n *= d }
            return (1, 1, n)
        }
        var inner = 1
        for d in shape.dropFirst(2) { inner *= d }
        return (shape[0], shape[1], inner)
    }

    /// `compress`: try zlib and keep it only when smaller than the raw payload.
    public static func encode(_ x: UnsafeBufferPointer<Float>, shape: [Int], encoding: TransferEncoding,
                              compress: Bool = true) throws(EdgeError) -> TransferTensor {
        var payload = ByteWriter()
        var scales: [Float] = [], offsets: [Float] = []
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
                scales.append(scale)
                offsets.append(lo)
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
        let raw = payload.bytes
        var body = raw
        var deflated = false
        if compress, !body.isEmpty {
            let packed = try Zlib.compress(body)
            if packed.count < body.count {
                body = packed
                deflated = true
            }
        }
        return TransferTensor(encoding: encoding.rawValue, shape: shape, zlib: deflated, rawBytes: raw.count,
                              scale: scales, offset: offsets, payload: body)
    }

    /// Decodes `t` into `out`, which must hold a tensor of shape `expected`.
    public static func decode(_ t: TransferTensor, expected: [Int], into out: UnsafeMutableBufferPointer<Float>) throws(EdgeError) {
        guard let encoding = TransferEncoding(rawValue: t.encoding) else {
            throw EdgeError(.format, "transferred tensor: unknown encoding \(t.encoding)")
        }
        guard t.shape == expected else {
            throw EdgeError(.shape, "transferred tensor is \(ShapeText.of(t.shape)), the receiving slice expects \(ShapeText.of(expected))")
        }
        var count = 1
        for d in expected { count *= d }
        guard out.count == count else { throw EdgeError(.shape, "transferred tensor: output buffer holds \(out.count) values, need \(count)") }
        guard t.rawBytes == count * encoding.bytesPerValue else {
            throw EdgeError(.format, "transferred tensor: payload of \(t.rawBytes) bytes does not match \(count) \(encoding) values")
        }
        let (batch, channels, inner) = channelLayout(expected)
        let params = encoding == .u8 ? channels : 0
        guard t.scale.count == params, t.offset.count == params else {
            throw EdgeError(.format, "transferred tensor: \(t.scale.count) scales and \(t.offset.count) offsets for \(params) channels")
        }
        for c in 0..<params where !(t.scale[c].isFinite && t.offset[c].isFinite && t.scale[c] >= 0) {
            throw EdgeError(.format, "transferred tensor: channel \(c) has scale \(t.scale[c]), offset \(t.offset[c])")
        }
        var inflated: [UInt8] = []
        if t.zlib {
            inflated = [UInt8](repeating: 0, count: t.rawBytes)
            try withBytes(t.payload) { (src) throws(EdgeError) in
                try withMutableBytes(&inflated) { (dst) throws(EdgeError) in try Zlib.decompress(src, into: dst) }
            }
        } else {
            guard t.payload.count == t.rawBytes else {
                throw EdgeError(.format, "transferred tensor: uncompressed payload of \(t.payload.count) bytes, expected \(t.rawBytes)")
            }
        }
        func fill(_ p: UnsafeRawBufferPointer) {
            switch encoding {
            case .f32:
                for i in 0..<count { out[i] = Float(bitPattern: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
            case .f16:
                for i in 0..<count { out[i] = Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)) }
            case .u8:
                for c in 0..<channels {
                    let scale = t.scale[c], offset = t.offset[c]
                    for b in 0..<batch {
                        let base = (b * channels + c) * inner
                        for i in 0..<inner { out[base + i] = offset + Float(p[base + i]) * scale }
                    }
                }
            }
        }
        if t.zlib { inflated.withUnsafeBytes { fill($0) } } else { t.payload.withUnsafeBytes { fill($0) } }
    }

    /// The serialized message (what crosses the link) and back, for `edgec run --split`,
    /// which has no socket between its two slices but sends the same bytes.
    public static func wireBytes(_ t: TransferTensor) -> [UInt8] { t.encode() }

    public static func decode(wire bytes: [UInt8], expected: [Int], into out: UnsafeMutableBufferPointer<Float>) throws(EdgeError) {
        let t = try parse(wire: bytes)
        try decode(t, expected: expected, into: out)
    }

    public static func parse(wire bytes: [UInt8]) throws(EdgeError) -> TransferTensor {
        let r: Result<TransferTensor, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try TransferTensor.decode(raw)) } catch { return .failure(error) }
        }
        switch r {
        case .success(let t): return t
        case .failure(let e): throw EdgeError(.format, "transferred tensor: \(e.message)")
        }
    }
}
