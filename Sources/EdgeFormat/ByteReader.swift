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

    // One unaligned load each (the loads are little-endian on every target Edge builds
    // for; `littleEndian:` keeps a big-endian one correct), not a byte loop.
    public mutating func u16(_ what: StaticString) throws(EdgeError) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2, what), as: UInt16.self))
    }

    public mutating func u32(_ what: StaticString) throws(EdgeError) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4, what), as: UInt32.self))
    }

    public mutating func u64(_ what: StaticString) throws(EdgeError) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, what), as: UInt64.self))
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

    /// The next `n` bytes as a fixed-size group of fields (a section table entry, a
    /// tensor's fixed fields), read with one bounds check: one check and one throw site
    /// per record instead of one per field.
    public mutating func record(_ n: Int, _ what: StaticString) throws(EdgeError) -> ByteRecord {
        ByteRecord(bytes: bytes, at: try take(n, what))
    }

    /// `n` little-endian integers with one bounds check for all of them (a per-element
    /// read checked and threw once per value: ~1 KB of the device loader per array kind).
    public mutating func integers<T: FixedWidthInteger>(_ n: Int, _ what: StaticString, as: T.Type) throws(EdgeError) -> [T] {
        let size = MemoryLayout<T>.size
        // `n * size` cannot overflow once n <= remaining / size; otherwise take refuses -1.
        let at = try take(n >= 0 && n <= remaining / size ? n * size : -1, what)
        let raw = bytes
        return [T](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n {
                (out.baseAddress! + i).initialize(to: T(littleEndian: raw.loadUnaligned(fromByteOffset: at &+ i &* size, as: T.self)))
            }
            count = n
        }
    }

    /// `n` little-endian float32 values, one bounds check.
    public mutating func floats(_ n: Int, _ what: StaticString) throws(EdgeError) -> [Float] {
        let at = try take(n >= 0 && n <= remaining / 4 ? n * 4 : -1, what)
        let raw = bytes
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n {
                (out.baseAddress! + i).initialize(to: Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at &+ i &* 4, as: UInt32.self))))
            }
            count = n
        }
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

/// Fields of a record `ByteReader.record` has bounds-checked, by their offset in it.
public struct ByteRecord {
    let bytes: UnsafeRawBufferPointer
    let at: Int

    public func u8(_ offset: Int) -> UInt8 { bytes[at &+ offset] }

    public func u16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at &+ offset, as: UInt16.self))
    }

    public func u32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at &+ offset, as: UInt32.self))
    }

    public func u64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at &+ offset, as: UInt64.self))
    }
}
