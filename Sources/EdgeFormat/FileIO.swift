import CEdgeSupport

/// Whole-file reads and writes through POSIX (no Foundation, so the device build has them).
public enum FileIO {
    public static func read(_ path: String) throws(EdgeError) -> [UInt8] {
        let fd = Utf8Text.withCString(path) { edge_open_read($0) }
        guard fd >= 0 else { throw EdgeError(.io, "cannot open '\(path)': \(errnoText())") }
        defer { _ = close(fd) }
        let size = edge_file_size(fd)
        guard size >= 0 else { throw EdgeError(.io, "cannot stat '\(path)'") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let got = bytes.withUnsafeMutableBytes { edge_read_all(fd, $0.baseAddress, Int(size)) }
        guard got == size else { throw EdgeError(.io, "cannot read '\(path)': \(errnoText())") }
        return bytes
    }

    /// Writes `bytes`, then `more` (a header, then data that need not be copied behind it).
    public static func write(_ path: String, _ bytes: [UInt8],
                             then more: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) throws(EdgeError) {
        let fd = Utf8Text.withCString(path) { edge_open_write($0) }
        guard fd >= 0 else { throw EdgeError(.io, "cannot create '\(path)': \(errnoText())") }
        var status = bytes.withUnsafeBytes { edge_write_all(fd, $0.baseAddress, $0.count) }
        if status == 0 && more.count > 0 { status = edge_write_all(fd, more.baseAddress, more.count) }
        let closed = close(fd)
        guard status == 0, closed == 0 else { throw EdgeError(.io, "cannot write '\(path)': \(errnoText())") }
    }

    static func errnoText() -> String {
        switch edge_errno() {
        case 2: return "no such file or directory"
        case 13: return "permission denied"
        case 21: return "is a directory"
        case 28: return "no space left on device"
        default: return "errno \(edge_errno())"
        }
    }
}

/// A file mapped read-only: the weights are used where they lie (zero-copy).
public final class MappedFile {
    public let bytes: UnsafeRawBufferPointer
    let mapped: Bool

    public init(path: String) throws(EdgeError) {
        let fd = Utf8Text.withCString(path) { edge_open_read($0) }
        guard fd >= 0 else { throw EdgeError(.io, "cannot open '\(path)': \(FileIO.errnoText())") }
        defer { _ = close(fd) }
        let size = edge_file_size(fd)
        guard size >= 0 else { throw EdgeError(.io, "cannot stat '\(path)'") }
        if size == 0 {
            // mmap rejects length 0; an empty image fails validation with a clear message.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let p = edge_mmap_read(fd, Int(size)) else {
            throw EdgeError(.io, "cannot map '\(path)': \(FileIO.errnoText())")
        }
        bytes = UnsafeRawBufferPointer(start: p, count: Int(size))
        mapped = true
    }

    deinit {
        if mapped, let base = bytes.baseAddress {
            _ = edge_munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
