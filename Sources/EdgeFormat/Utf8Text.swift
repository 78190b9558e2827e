/// Byte-level text helpers for the Embedded-safe core.
///
/// String's own `==`, `hasPrefix`, `split` and Character iteration are Unicode-aware
/// (canonical equivalence, grapheme clusters): right for prose, but they link about
/// 60 KB of Unicode tables and grapheme code into the device binary. Tensor names,
/// metadata keys, options and paths are byte strings, so bytes are compared here.
public enum Utf8Text {
    /// Calls `body` with the UTF-8 bytes of `s`, in place. Everything below reads Strings
    /// through this one non-generic function: iterating `s.utf8` or indexing it links the
    /// stdlib's paths for foreign (bridged NSString) strings, about 3 KB of UTF-16 index
    /// and encoding-repair code in the device binary, although neither Linux nor Embedded
    /// Swift has such strings: every String there is native or small, so its UTF-8 is
    /// contiguous (`withContiguousStorageIfAvailable` answers). Never inlined: LTO otherwise
    /// copies the String-to-pointer code into every caller (device selections -0.8 KB).
    @inline(never)
    public static func withUTF8(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable(body)
        precondition(done != nil, "a String without contiguous UTF-8 (bridged strings do not exist on Linux)")
    }

    /// The String of these bytes, or nil when they are not valid UTF-8. Why not
    /// `String(decoding:)`: it repairs invalid input, and its repair path links String
    /// growth and the foreign-string code (`_StringGuts.grow`, about 4 KB on the device).
    /// Edge refuses such bytes instead (a name in a file, a command-line argument).
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// A piece of a String cut at an ASCII byte (valid UTF-8, so never nil).
    static func piece(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        string(UnsafeBufferPointer(rebasing: bytes)) ?? ""
    }

    /// A copy of the UTF-8 bytes of `s`.
    public static func bytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        withUTF8(s) { out.append(contentsOf: $0) }
        return out
    }

    /// The number of UTF-8 bytes (`s.utf8.count` links the foreign-string count).
    public static func count(_ s: String) -> Int {
        var n = 0
        withUTF8(s) { n = $0.count }
        return n
    }

    public static func equal(_ a: String, _ b: String) -> Bool {
        matches(a, b, atEnd: false, whole: true)
    }

    public static func hasPrefix(_ s: String, _ prefix: String) -> Bool {
        matches(s, prefix, atEnd: false, whole: false)
    }

    public static func hasSuffix(_ s: String, _ suffix: String) -> Bool {
        matches(s, suffix, atEnd: true, whole: false)
    }

    /// Whether `part`'s bytes begin (or end, or are all of) `s`'s. Never inlined: with LTO
    /// each of the name and option comparisons otherwise got its own copy of the two nested
    /// `withUTF8` calls (device full-stripped -1.8 KB with one copy).
    @inline(never)
    private static func matches(_ s: String, _ part: String, atEnd: Bool, whole: Bool) -> Bool {
        var result = false
        withUTF8(s) { x in
            withUTF8(part) { y in
                guard whole ? y.count == x.count : y.count <= x.count else { return }
                result = same(x, at: atEnd ? x.count - y.count : 0, y)
            }
        }
        return result
    }

    /// Whether `y`'s bytes appear in `x` at `start` (the caller checked that they fit).
    static func same(_ x: UnsafeBufferPointer<UInt8>, at start: Int, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        for i in 0..<y.count where x[start + i] != y[i] { return false }
        return true
    }

    /// Whether `bytes` are exactly the literal's, or (`prefix`) begin with them: for
    /// text that is not a String (command-line arguments as the C `main` gets them).
    public static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString, prefix: Bool = false) -> Bool {
        let y = self.bytes(literal)
        return (prefix ? y.count <= bytes.count : y.count == bytes.count) && same(bytes, at: 0, y)
    }

    /// The text before and after the first (or last) `separator` byte, or nil.
    public static func split(_ s: String, at separator: UInt8, last: Bool = false) -> (String, String)? {
        var result: (String, String)?
        withUTF8(s) { b in
            var found: Int?
            for i in 0..<b.count where b[i] == separator {
                found = i
                if !last { break }
            }
            guard let i = found else { return }
            result = (piece(b[..<i]), piece(b[(i + 1)...]))
        }
        return result
    }

    /// All pieces between `separator` bytes (empty pieces kept).
    public static func components(_ s: String, separator: UInt8) -> [String] {
        var parts: [String] = []
        withUTF8(s) { b in
            var start = 0
            for i in 0...b.count where i == b.count || b[i] == separator {
                parts.append(piece(b[start..<i]))
                start = i + 1
            }
        }
        return parts
    }

    /// A file name for a tensor: every Unicode scalar other than an ASCII letter, digit,
    /// '.', '-' or '_' becomes '_' (exporters such as paddle2onnx put '/' in names).
    /// The host CLI and the device program both use this rule. On bytes: a String's UTF-8
    /// is valid, so each scalar is one byte that is not a continuation byte (10xxxxxx).
    public static func safeFileName(_ name: String) -> String {
        var out: [UInt8] = []
        appendSafeFileName(name, to: &out)
        return out.withUnsafeBufferPointer { string($0) } ?? ""  // ASCII
    }

    /// Appends `safeFileName(name)`'s bytes (for a path built as bytes).
    public static func appendSafeFileName(_ name: String, to out: inout [UInt8]) {
        withUTF8(name) { b in
            for v in b where v & 0xC0 != 0x80 {
                let keep = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
                    || v == 0x2E || v == 0x2D || v == 0x5F
                out.append(keep ? v : 0x5F)
            }
        }
    }

    /// `s` as a NUL-terminated C string (a copy). Why not `String.withCString`: its slow
    /// path for non-native (bridged) strings links the code `withUTF8` avoids. Not generic,
    /// so the device binary has one copy of it.
    public static func cString(_ s: String) -> [CChar] {
        var text: [CChar] = []
        withUTF8(s) { b in
            // One allocation and one copy, not an append per byte.
            text = [CChar](unsafeUninitializedCapacity: b.count + 1) { p, n in
                if let from = b.baseAddress { UnsafeMutableRawPointer(p.baseAddress!).copyMemory(from: from, byteCount: b.count) }
                p[b.count] = 0
                n = b.count + 1
            }
        }
        return text
    }

    /// Calls `body` with `s` as a NUL-terminated C string (see `cString`). For file
    /// names and output lines, not hot paths.
    public static func withCString<R>(_ s: String, _ body: (UnsafePointer<CChar>) -> R) -> R {
        cString(s).withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// The bytes of a literal, without building a String from it (whose `utf8` copy, and
    /// appends, specialise the stdlib's String growth code into the device binary).
    public static func bytes(_ s: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
    }

    /// Appends the decimal digits of `value` (with a '-' when negative).
    public static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(0x2D) }  // '-'
        var v = value.magnitude
        var scale: UInt = 1
        while v / scale >= 10 { scale *= 10 }
        while scale > 0 {
            bytes.append(0x30 + UInt8(v / scale))
            v %= scale
            scale /= 10
        }
    }

    /// A non-negative decimal integer of at most `limit`, or nil.
    public static func parseCount(_ s: String, limit: Int) -> Int? {
        var value: Int?
        withUTF8(s) { value = parseCount($0, limit: limit) }
        return value
    }

    public static func parseCount(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int) -> Int? {
        var value = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            let d = Int(b - 0x30)
            guard value <= (limit - d) / 10 else { return nil }
            value = value * 10 + d
        }
        return bytes.isEmpty ? nil : value
    }
}
