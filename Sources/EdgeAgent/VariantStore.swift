import CEdgeAgentSupport
import CEdgeSupport
import EdgeFormat
import EdgeTrust
import EdgeWire

/// The on-disk store (A/B install):
///
///     DIR/state                    AgentState, replaced atomically (DurableFile)
///     DIR/variants/NAME@V.edgs     installed artifacts, never modified in place
///     DIR/tmp/push-N.part          uploads in progress; all deleted at start
///
/// An upload becomes visible only by a rename after it verified and passed its
/// self-test, and it becomes part of the catalog only when the state file naming it
/// has been replaced. A kill -9 at any point leaves the previous state in force.
final class VariantStore {
    let root: String
    let variantsDir: String
    let tmpDir: String
    let statePath: String
    let quotaBytes: UInt64
    private var uploadSerial: UInt64 = 0

    init(root: String, quotaBytes: UInt64) throws(WireError) {
        self.root = root
        self.variantsDir = root + "/variants"
        self.tmpDir = root + "/tmp"
        self.statePath = root + "/state"
        self.quotaBytes = quotaBytes
        for d in [root, variantsDir, tmpDir] {
            guard Utf8Text.withCString(d, { edge_mkdir($0) }) == 0 else { throw WireError(.io, "cannot create directory '\(d)'") }
        }
    }

    /// Reads the state, then removes what it does not reference (interrupted uploads,
    /// files of superseded versions, a half-written state.tmp).
    func recover() throws(WireError) -> AgentState {
        var st = AgentState()
        let fd = Utf8Text.withCString(statePath) { edge_open_read($0) }
        if fd >= 0 {
            edge_close(fd)
            let bytes: [UInt8]
            do { bytes = try FileIOBridge.read(statePath) } catch { throw error }
            st = try AgentState.parse(bytes)
        }
        for f in DurableFile.list(tmpDir) { DurableFile.remove(tmpDir + "/" + f) }
        DurableFile.remove(statePath + ".tmp")
        for f in DurableFile.list(variantsDir) {
            var referenced = false
            for e in st.catalog where e.file == f { referenced = true }
            if !referenced { DurableFile.remove(variantsDir + "/" + f) }
        }
        // Entries whose file vanished (should not happen) are dropped, not fatal.
        st.catalog.removeAll { e in
            let fd = Utf8Text.withCString(variantsDir + "/" + e.file) { edge_open_read($0) }
            if fd < 0 { Log.info("state names missing file '\(e.file)'; dropping it"); return true }
            edge_close(fd)
            return false
        }
        if st.entry(st.active) == nil { st.active = "" }
        if st.entry(st.previous) == nil { st.previous = "" }
        return st
    }

    func write(_ st: AgentState) throws(WireError) {
        try DurableFile.replace(statePath, directory: root, with: st.serialized())
    }

    func path(of e: CatalogEntry) -> String { variantsDir + "/" + e.file }

    /// A new upload file.
    func beginUpload(total: UInt64, used: UInt64) throws(WireError) -> Upload {
        guard total > 0 else { throw WireError(.badRequest, "push of 0 bytes") }
        guard used + total <= quotaBytes else {
            throw WireError(.quotaExceeded, "store quota exceeded: \(used) bytes used + \(total) pushed > \(quotaBytes)")
        }
        let free = Utf8Text.withCString(root) { edge_free_bytes($0) }
        if free >= 0 && UInt64(free) < total {
            throw WireError(.quotaExceeded, "disk full: \(free) bytes free, push needs \(total)")
        }
        uploadSerial += 1
        let p = tmpDir + "/push-\(edge_getpid())-\(uploadSerial).part"
        let fd = Utf8Text.withCString(p) { edge_create_exclusive($0) }
        guard fd >= 0 else { throw WireError(.io, "cannot create upload file '\(p)'") }
        return Upload(path: p, fd: fd, total: total)
    }

    /// Moves a verified upload into place; returns its file name.
    func commit(_ u: Upload, name: String, version: UInt64) throws(WireError) -> String {
        let file = name + "@" + "\(version).edgs"
        try DurableFile.rename(u.path, variantsDir + "/" + file)
        try DurableFile.syncDirectory(variantsDir)
        return file
    }
}

/// An upload in progress. Chunks must arrive in order.
final class Upload {
    let path: String
    private(set) var fd: Int32
    let total: UInt64
    private(set) var received: UInt64 = 0

    init(path: String, fd: Int32, total: UInt64) {
        self.path = path
        self.fd = fd
        self.total = total
    }

    func append(offset: UInt64, _ data: [UInt8]) throws(WireError) {
        guard offset == received else { throw WireError(.badRequest, "push chunk at offset \(offset), expected \(received)") }
        guard UInt64(data.count) <= total - received else { throw WireError(.badRequest, "push chunks exceed the announced \(total) bytes") }
        let r = data.withUnsafeBytes { edge_pwrite_all(fd, $0.baseAddress, $0.count, Int64(offset)) }
        guard r == 0 else {
            throw WireError(edge_errno() == 28 ? .quotaExceeded : .io, edge_errno() == 28 ? "disk full while writing the push" : "cannot write the push")
        }
        received += UInt64(data.count)
    }

    var complete: Bool { received == total }

    /// fsync + close; the file stays until commit or discard.
    func finish() throws(WireError) {
        let s = edge_fsync(fd)
        edge_close(fd)
        fd = -1
        guard s == 0 else { throw WireError(.io, "cannot fsync the pushed file") }
    }

    func discard() {
        if fd >= 0 { edge_close(fd); fd = -1 }
        DurableFile.remove(path)
    }
}

/// FileIO lives in EdgeFormat and throws EdgeError; the agent speaks WireError.
enum FileIOBridge {
    static func read(_ path: String) throws(WireError) -> [UInt8] {
        do { return try FileIO.read(path) } catch { throw WireError(.io, error.message) }
    }
}
