/// Framing of the agent protocol (Formats/WIRE.md):
///
///     offset 0  'E' 'W'      magic: rejects garbage before any allocation
///     offset 2  version u8   WireFrame.version; anything else is refused
///     offset 3  flags u8     reserved, must be 0
///     offset 4  length u32   little-endian byte count of the Envelope that follows
///
/// The length is checked against the receiver's maximum before a byte of the body is
/// read, so an oversized or lying prefix costs nothing.
public enum WireFrame {
    public static let version: UInt8 = 1
    public static let headerBytes = 8
    /// Default maximum body size: a 1 MiB push chunk or a large tensor fits with room.
    public static let defaultMaxBody = 16 << 20

    /// Header for a body of `length` bytes.
    public static func header(length: Int) -> [UInt8] {
        let n = UInt32(truncatingIfNeeded: length)
        return [0x45, 0x57, version, 0,
                UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8),
                UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)]
    }

    /// Header followed by body.
    public static func wrap(_ body: [UInt8]) -> [UInt8] {
        var out = header(length: body.count)
        out.append(contentsOf: body)
        return out
    }

    /// Validates an 8-byte header and returns the body length.
    public static func bodyLength(header h: UnsafeRawBufferPointer, maxBody: Int) throws(WireError) -> Int {
        guard h.count >= headerBytes else {
            throw WireError(.malformedFrame, "frame header truncated (\(h.count) of \(headerBytes) bytes)")
        }
        guard h[0] == 0x45, h[1] == 0x57 else {
            throw WireError(.malformedFrame, "not an Edge wire frame (bad magic)")
        }
        guard h[2] == version else {
            throw WireError(.unsupportedVersion, "wire version \(h[2]) is not supported (this side speaks \(version))")
        }
        guard h[3] == 0 else {
            throw WireError(.malformedFrame, "reserved frame flags \(h[3]) are not zero")
        }
        let n = Int(h[4]) | Int(h[5]) << 8 | Int(h[6]) << 16 | Int(h[7]) << 24
        guard n <= maxBody else {
            throw WireError(.frameTooLarge, "frame of \(n) bytes exceeds the maximum of \(maxBody)")
        }
        return n
    }

    /// Decodes one whole frame from `bytes` (header + body, nothing after it).
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxBody: Int = defaultMaxBody) throws(WireError) -> Envelope {
        let n = try bodyLength(header: bytes, maxBody: maxBody)
        guard bytes.count - headerBytes == n else {
            throw WireError(.malformedFrame, "frame says \(n) body bytes, has \(bytes.count - headerBytes)")
        }
        return try Envelope.decode(UnsafeRawBufferPointer(rebasing: bytes[headerBytes...]))
    }
}
