/// Byte-level text helpers for the Embedded-safe core.
///
/// String's own `==`, `hasPrefix`, `split` and Character iteration are Unicode-aware
/// (canonical equivalence, grapheme clusters): right for prose, but they link about
/// 60 KB of Unicode tables and grapheme code into the device binary. Tensor names,
/// metadata keys, options and paths are byte strings, so bytes are compared here.
public enum Utf8Text {
    // equal/hasPrefix/hasSuffix walk the UTF-8 views' iterators: the stdlib's generic
    // `elementsEqual`, `starts(with:)` and `reversed()` were specialised per call into
    // about 4 KB of device code (bidirectional index walking included).
    public static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && hasPrefix(a, b)
    }

    public static func hasPrefix(_ s: String, _ prefix: String) -> Bool {
        var rest = s.utf8.makeIterator()
        for b in prefix.utf8 {
            guard rest.next() == b else { return false }
        }
        return true
    }

    public static func hasSuffix(_ s: String, _ suffix: String) -> Bool {
        let skip = s.utf8.count - suffix.utf8.count
        guard skip >= 0 else { return false }
        var rest = s.utf8.makeIterator()
        for _ in 0..<skip { _ = rest.next() }
        for b in suffix.utf8 {
            guard rest.next() == b else { return false }
        }
        return true
    }

    /// The text before and after the first (or last) `separator` byte, or nil.
    public static func split(_ s: String, at separator: UInt8, last: Bool = false) -> (String, String)? {
        let bytes = Array(s.utf8)
        let found = last ? bytes.lastIndex(of: separator) : bytes.firstIndex(of: separator)
        guard let i = found else { return nil }
        return (String(decoding: bytes[..<i], as: UTF8.self), String(decoding: bytes[(i + 1)...], as: UTF8.self))
    }

    /// All pieces between `separator` bytes (empty pieces kept).
    public static func components(_ s: String, separator: UInt8) -> [String] {
        var parts: [String] = []
        var current: [UInt8] = []
        for b in s.utf8 {
            if b == separator {
                parts.append(String(decoding: current, as: UTF8.self))
                current.removeAll()
            } else {
                current.append(b)
            }
        }
        parts.append(String(decoding: current, as: UTF8.self))
        return parts
    }

    /// A file name for a tensor: every Unicode scalar other than an ASCII letter, digit,
    /// '.', '-' or '_' becomes '_' (exporters such as paddle2onnx put '/' in names).
    /// The host CLI and the device program both use this rule.
    public static func safeFileName(_ name: String) -> String {
        var out: [UInt8] = []
        for scalar in name.unicodeScalars {
            let v = scalar.value
            let keep = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
                || v == 0x2E || v == 0x2D || v == 0x5F
            out.append(keep ? UInt8(v) : 0x5F)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `s` as a NUL-terminated C string (a copy). Why not `String.withCString`: its slow
    /// path for non-native (bridged) strings links about 5 KB of UTF-16 index and
    /// breadcrumb code into the device binary, although Embedded Swift has no such
    /// strings. Not generic, so the device binary has one copy of it.
    public static func cString(_ s: String) -> [CChar] {
        let count = s.utf8.count
        var text = [CChar](repeating: 0, count: count + 1)  // the last byte stays NUL
        text.withUnsafeMutableBytes { out in
            let copied = s.utf8.withContiguousStorageIfAvailable { bytes in
                if let base = bytes.baseAddress { out.baseAddress!.copyMemory(from: base, byteCount: count) }
            }
            if copied == nil {  // a string without contiguous UTF-8 (not made by Edge's code)
                var i = 0
                for b in s.utf8 { out[i] = b; i += 1 }
            }
        }
        return text
    }

    /// Calls `body` with `s` as a NUL-terminated C string (see `cString`). For file
    /// names and output lines, not hot paths.
    public static func withCString<R>(_ s: String, _ body: (UnsafePointer<CChar>) -> R) -> R {
        cString(s).withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// A non-negative decimal integer of at most `limit`, or nil.
    public static func parseCount(_ s: String, limit: Int) -> Int? {
        var value = 0
        var digits = 0
        for b in s.utf8 {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            let d = Int(b - 0x30)
            guard value <= (limit - d) / 10 else { return nil }
            value = value * 10 + d
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
