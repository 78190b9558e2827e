/// Bounds-checked little-endian reads over untrusted bytes.
///
/// Every read checks the remaining length first, so a truncated or hostile file ends in
/// an `EdgeError(.format)` naming what was being read, never in an out-of-bounds access.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var position: Int = 0
    /// Names the structure being read, for error messages ("section TENS"). Empty in a
    /// build with `EDGE_STRIP_MESSAGES`, which neither builds nor stores it (as
    /// `EdgeError`'s message): no String is carried through every read.
#if EDGE_STRIP_MESSAGES
    public var context: String { "" }
#else
    public var context: String
#endif

    public init(_ bytes: UnsafeRawBufferPointer, context: @autoclosure () -> String) {
        self.bytes = bytes
#if !EDGE_STRIP_MESSAGES
        self.context = context()
#endif
    }

    public var remaining: Int { bytes.count - position }

    mutating func take(_ n: Int, _ what: StaticString) throws(EdgeError) -> Int {
        guard n >= 0, n <= remaining else {
            throw EdgeError(.format, "\(context): truncated while reading \(what) (need \(n) bytes at offset \(position), \(remaining) left)")
        }
        let at = position
        position += n
        return at
    }

    public mutating func u8(_ what: StaticString) throws(EdgeError) -> UInt8 {
        bytes[try take(1, what)]
    }

    public mutating func u16(_ what: StaticString) throws(EdgeError) -> UInt16 {
        let at = try take(2, what)
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    public mutating func u32(_ what: StaticString) throws(EdgeError) -> UInt32 {
        let at = try take(4, what)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[at + i]) << (8 * UInt32(i)) }
        return v
    }

    public mutating func u64(_ what: StaticString) throws(EdgeError) -> UInt64 {
        let at = try take(8, what)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return v
    }

    public mutating func i32(_ what: StaticString) throws(EdgeError) -> Int32 {
        Int32(bitPattern: try u32(what))
    }

    public mutating func i64(_ what: StaticString) throws(EdgeError) -> Int64 {
        Int64(bitPattern: try u64(what))
    }

    public mutating func f32(_ what: StaticString) throws(EdgeError) -> Float {
        Float(bitPattern: try u32(what))
    }

    public mutating func f64(_ what: StaticString) throws(EdgeError) -> Double {
        Double(bitPattern: try u64(what))
    }

    /// A count that must be backed by at least `minBytesEach` bytes per item still in
    /// the buffer: rejects hostile counts before anything is allocated for them.
    public mutating func count(_ what: StaticString, minBytesEach: Int) throws(EdgeError) -> Int {
        let n = Int(try u32(what))
        guard n <= remaining / Swift.max(1, minBytesEach) else {
            throw EdgeError(.format, "\(context): \(what) count \(n) exceeds the bytes left (\(remaining))")
        }
        return n
    }

    /// A UTF-8 string stored as u32 length + bytes.
    public mutating func string(_ what: StaticString) throws(EdgeError) -> String {
        let n = Int(try u32(what))
        let at = try take(n, what)
        let raw = UnsafeRawBufferPointer(rebasing: bytes[at..<at + n])
        guard let text = Utf8Text.string(raw.assumingMemoryBound(to: UInt8.self)) else {
            throw EdgeError(.format, "\(context): \(what) is not valid UTF-8")
        }
        return text
    }

    public mutating func skip(_ n: Int, _ what: StaticString) throws(EdgeError) {
        _ = try take(n, what)
    }
}
