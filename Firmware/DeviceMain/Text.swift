import CEdgeSupport
import EdgeFormat

/// Output helpers without Foundation or Float printing: every line goes out through
/// fputs + fflush, so nothing is lost in a buffer if a later step traps.
enum Console {
    static func out(_ line: String) {
        Utf8Text.withCString(line + "\n") { edge_write_stdout($0) }
    }

    static func err(_ line: String) {
        Utf8Text.withCString(line + "\n") { edge_write_stderr($0) }
    }
}

enum Format {
    /// Nanoseconds as milliseconds with three decimals ("12.345").
    static func ms(_ nanos: UInt64) -> String {
        let micros = (nanos + 500) / 1000
        return "\(micros / 1000)." + pad3(micros % 1000)
    }

    static func pad3(_ v: UInt64) -> String {
        v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : "\(v)"
    }

    /// "1.50 MiB", "12.0 KiB", "100 B" (as the host's humanBytes prints them).
    static func bytes(_ n: Int) -> String {
        if n >= 1 << 20 {
            let hundredths = (n * 100 + (1 << 19)) >> 20
            let frac = hundredths % 100
            return "\(hundredths / 100)." + (frac < 10 ? "0\(frac)" : "\(frac)") + " MiB"
        }
        if n >= 1 << 10 {
            let tenths = (n * 10 + (1 << 9)) >> 10
            return "\(tenths / 10).\(tenths % 10) KiB"
        }
        return "\(n) B"
    }
}

enum Paths {
    /// "dir" + "name" -> "dir/name" (no doubled slash; an empty dir gives the name).
    static func join(_ dir: String, _ name: String) -> String {
        if dir.isEmpty { return name }
        return Utf8Text.hasSuffix(dir, "/") ? dir + name : dir + "/" + name
    }

    /// `mkdir -p`: creates every missing directory of `path`.
    static func makeDirectories(_ path: String) -> Bool {
        var prefix = Utf8Text.hasPrefix(path, "/") ? "/" : ""
        for part in Utf8Text.components(path, separator: 0x2F) where !part.isEmpty {  // slash
            prefix += part
            let status = Utf8Text.withCString(prefix) { mkdir($0, 0o755) }
            if status != 0 && edge_errno() != 17 { return false } // 17: EEXIST
            prefix += "/"
        }
        return true
    }
}
