import CEdgeAgentSupport
import CEdgeSupport
import EdgeFormat
import EdgeWire

/// Crash-safe file replacement: write a temporary file, fsync it, rename it over the
/// target, fsync the directory. A reader (or a restart after kill -9) sees the old or the
/// new content, never a mix.
public enum DurableFile {
    public static func replace(_ path: String, directory: String, with bytes: [UInt8]) throws(WireError) {
        let tmp = path + ".tmp"
        _ = Utf8Text.withCString(tmp) { edge_unlink($0) }
        let fd = Utf8Text.withCString(tmp) { edge_create_exclusive($0) }
        guard fd >= 0 else { throw WireError(.io, "cannot create '\(tmp)' (errno \(edge_errno()))") }
        let w = bytes.withUnsafeBytes { edge_write_all(fd, $0.baseAddress, $0.count) }
        let s = edge_fsync(fd)
        edge_close(fd)
        guard w == 0, s == 0 else {
            _ = Utf8Text.withCString(tmp) { edge_unlink($0) }
            throw WireError(.io, "cannot write '\(tmp)' (errno \(edge_errno()))")
        }
        try rename(tmp, path)
        try syncDirectory(directory)
    }

    static func rename(_ from: String, _ to: String) throws(WireError) {
        let r = Utf8Text.withCString(from) { f in Utf8Text.withCString(to) { t in edge_rename(f, t) } }
        guard r == 0 else { throw WireError(.io, "cannot rename '\(from)' to '\(to)' (errno \(edge_errno()))") }
    }

    static func syncDirectory(_ dir: String) throws(WireError) {
        guard Utf8Text.withCString(dir, { edge_fsync_dir($0) }) == 0 else { throw WireError(.io, "cannot fsync directory '\(dir)'") }
    }

    static func remove(_ path: String) { _ = Utf8Text.withCString(path) { edge_unlink($0) } }

    static func list(_ dir: String) -> [String] {
        guard let d = Utf8Text.withCString(dir, { edge_dir_open($0) }) else { return [] }
        defer { edge_dir_close(d) }
        var out: [String] = []
        while let n = edge_dir_next(d) { out.append(String(cString: n)) }
        return out
    }
}
