import CEdgeAgentSupport
import CEdgeSupport
import EdgeWire

/// Crash-safe file replacement: write a temporary file, fsync it, rename it over the
/// target, fsync the directory. A reader (or a restart after kill -9) sees the old or the
/// new content, never a mix.
public enum DurableFile {
    public static func replace(_ path: String, directory: String, with bytes: [UInt8]) throws(WireError) {
        let tmp = path + ".tmp"
        _ = tmp.withCString { edge_unlink($0) }
        let fd = tmp.withCString { edge_create_exclusive($0) }
        guard fd >= 0 else { throw WireError(.io, "cannot create '\(tmp)' (errno \(edge_errno()))") }
        let w = bytes.withUnsafeBytes { edge_write_all(fd, $0.baseAddress, $0.count) }
        let s = edge_fsync(fd)
        edge_close(fd)
        guard w == 0, s == 0 else {
            _ = tmp.withCString { edge_unlink($0) }
            throw WireError(.io, "cannot write '\(tmp)' (errno \(edge_errno()))")
        }
        try rename(tmp, path)
        try syncDirectory(directory)
    }

    static func rename(_ from: String, _ to: String) throws(WireError) {
        let r = from.withCString { f in to.withCString { t in edge_rename(f, t) } }
        guard r == 0 else { throw WireError(.io, "cannot rename '\(from)' to '\(to)' (errno \(edge_errno()))") }
    }

    static func syncDirectory(_ dir: String) throws(WireError) {
        guard dir.withCString({ edge_fsync_dir($0) }) == 0 else { throw WireError(.io, "cannot fsync directory '\(dir)'") }
    }

    static func remove(_ path: String) { _ = path.withCString { edge_unlink($0) } }

    static func list(_ dir: String) -> [String] {
        guard let d = dir.withCString({ edge_dir_open($0) }) else { return [] }
        defer { edge_dir_close(d) }
        var out: [String] = []
        while let n = edge_dir_next(d) { out.append(String(cString: n)) }
        return out
    }
}
