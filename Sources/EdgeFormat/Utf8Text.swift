/// Byte-level text helpers for the Embedded-safe core.
///
/// String's own `==`, `hasPrefix`, `split` and Character iteration are Unicode-aware
/// (canonical equivalence, grapheme clusters): right for prose, but they link about
/// 60 KB of Unicode tables and grapheme code into the device binary. Tensor names,
/// metadata keys, options and paths are byte strings, so bytes are compared here.
public enum Utf8Text {
    public static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    public static func hasPrefix(_ s: String, _ prefix: String) -> Bool {
        s.utf8.starts(with: prefix.utf8)
    }

    public static func hasSuffix(_ s: String, _ suffix: String) -> Bool {
        s.utf8.count >= suffix.utf8.count && s.utf8.reversed().starts(with: suffix.utf8.reversed())
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

    /// Calls `body` with `s` as a NUL-terminated C string (a copy). Why not
    /// `String.withCString`: its slow path for non-native (bridged) strings links about
    /// 5 KB of UTF-16 index and breadcrumb code into the device binary, although Embedded
    /// Swift has no such strings. For file names and output lines, not hot paths.
    public static func withCString<R>(_ s: String, _ body: (UnsafePointer<CChar>) -> R) -> R {
        var text: [CChar] = []
        text.reserveCapacity(s.utf8.count + 1)
        for b in s.utf8 { text.append(CChar(bitPattern: b)) }
        text.append(0)
        return text.withUnsafeBufferPointer { body($0.baseAddress!) }
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
