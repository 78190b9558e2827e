import EdgeFormat
import EdgeRuntime
import EdgeTrust
import EdgeWire

/// The agent's logic, independent of sockets: the catalog, the active variant and the
/// commands. Two locks: `control` serialises commands that change state (they are rare
/// and may fsync); `lock` guards the few fields requests read (held for nanoseconds).
public final class Agent {
    let store: VariantStore
    let trusted: [[UInt8]]
    let workers: Semaphore
    private let control = Lock()
    private let lock = Lock()
    /// Guarded by `control` (and the durable copy on disk).
    private var state: AgentState
    /// Guarded by `lock`.
    private var active: ResidentVariant?
    private var resident: [String: ResidentVariant] = [:]
    private var served: UInt64 = 0
    private var failed: UInt64 = 0
    private var switches: UInt64 = 0
    private var refused: UInt64 = 0
    var connections: UInt32 = 0

    public init(storeDir: String, trusted: [[UInt8]], workers: Int, quotaBytes: UInt64) throws(WireError) {
        self.store = try VariantStore(root: storeDir, quotaBytes: quotaBytes)
        self.trusted = trusted
        self.workers = Semaphore(workers)
        self.state = try store.recover()
        // Bring active and previous in; a variant that no longer loads is skipped and,
        // if it was active, the previous one takes over.
        for name in [state.active, state.previous] where !name.isEmpty {
            if let e = state.entry(name) {
                do throws(WireError) {
                    resident[name] = try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted)
                } catch {
                    Log.info("variant '\(name)' does not load (\(error.message)); not serving it")
                }
            }
        }
        if resident[state.active] == nil, !state.previous.isEmpty, resident[state.previous] != nil {
            state.active = state.previous
            state.previous = ""
            try store.write(state)
        }
        active = resident[state.active]
        if let a = active { Log.info("serving '\(a.entry.name)' v\(a.entry.version)") }
    }

    // MARK: requests

    public func infer(_ req: InferRequest) -> Message {
        let t0 = Clock.nowNanos()
        workers.wait()
        defer { workers.post() }
        guard let v = lock.locked({ active }) else {
            count(failed: true)
            return .refused(.noActiveVariant, "no variant is active: push and activate one")
        }
        do throws(WireError) {
            let interp = try v.checkout()
            defer { v.checkin(interp) }
            try TensorIO.writeInputs(req.inputs, interp, v.inputIds)
            interp.run()
            let outs = try TensorIO.readOutputs(interp, v.outputIds, zlib: req.zlibOutputs)
            count(failed: false)
            return .inferReply(InferReply(outputs: outs, variant: v.entry.name, variantVersion: v.entry.version,
                                          latencyNanos: Clock.nowNanos() &- t0))
        } catch {
            count(failed: true)
            return .refused(error.code, error.message)
        }
    }

    private func count(failed f: Bool) {
        lock.locked { if f { failed += 1 } else { served += 1 } }
    }

    func noteRefusal() { lock.locked { refused += 1 } }

    func connectionOpened(limit: Int) -> Bool {
        lock.locked {
            if Int(connections) >= limit { refused += 1; return false }
            connections += 1
            return true
        }
    }

    func connectionClosed() { lock.locked { connections -= 1 } }

    public func status() -> AgentStatus {
        let st = control.locked { state }
        return lock.locked {
            var s = AgentStatus()
            s.active = active?.entry.name ?? ""
            s.previous = st.previous
            for e in st.catalog {
                s.variants.append(VariantInfo(name: e.name, version: e.version, bytes: e.bytes, family: e.family,
                                              resident: resident[e.name] != nil))
            }
            s.served = served; s.failed = failed; s.switches = switches
            s.lastCounter = st.counter; s.refused = refused; s.connections = connections
            return s
        }
    }

    // MARK: commands

    /// Verifies a signed command and its counter. The counter is consumed (persisted)
    /// only together with the effect of the command, except for a push, whose counter is
    /// consumed when the upload begins so the begin frame cannot be replayed.
    func authenticate(_ command: [UInt8], _ signature: [UInt8]) throws(WireError) -> Command {
        let c = try CommandAuth.open(command: command, signature: signature, trusted: trusted)
        let last = control.locked { state.counter }
        guard c.counter > last else {
            throw WireError(.replayedCommand, "command counter \(c.counter) is not above the last accepted \(last): replay refused")
        }
        return c
    }

    /// Runs `body` on a copy of the state under the control lock; `body` returns the new
    /// state, which is made durable before anything in memory changes.
    /// `counter` nil: authorised by the caller (a verified fleet desired state), no counter consumed.
    private func mutate(counter: UInt64?, _ body: (inout AgentState) throws(WireError) -> Void) throws(WireError) {
        edgeLockControl()
        defer { edgeUnlockControl() }
        var next = state
        if let counter {
            guard counter > state.counter else {
                throw WireError(.replayedCommand, "command counter \(counter) is not above the last accepted \(state.counter): replay refused")
            }
            next.counter = counter
        }
        try body(&next)
        try store.write(next)
        state = next
    }

    // Lock/unlock around a throwing body (Lock.locked takes a non-throwing closure).
    private func edgeLockControl() { control.lockRaw() }
    private func edgeUnlockControl() { control.unlockRaw() }

    func beginPush(counter: UInt64, total: UInt64) throws(WireError) -> Upload {
        var upload: Upload? = nil
        try mutate(counter: counter) { st throws(WireError) in
            upload = try store.beginUpload(total: total, used: st.usedBytes)
        }
        return upload!
    }

    /// Verifies a finished upload and installs it (and activates it when asked, or when
    /// it replaces the version of the active name). Any failure leaves everything as it was.
    func install(_ u: Upload, sha256: [UInt8], activate: Bool, counter: UInt64) throws(WireError) -> String {
        defer { u.discard() }  // after a commit the path no longer exists; harmless
        try u.finish()
        let bytes = try FileIOBridge.read(u.path)
        guard Sha256.digest(bytes) == sha256 else {
            throw WireError(.badArtifact, "pushed bytes do not match the announced SHA-256 (truncated or corrupted transfer)")
        }
        edgeLockControl()
        defer { edgeUnlockControl() }
        let artifact = try withBytes(bytes) { raw throws(WireError) in try SignedArtifact(verifying: raw, trusted: trusted) }
        let md = artifact.metadata
        if let old = state.entry(md.name), md.version <= old.version {
            throw WireError(.olderVersion, "'\(md.name)' v\(md.version) is not newer than the installed v\(old.version)")
        }
        var entry = CatalogEntry(name: md.name, version: md.version, file: "", bytes: UInt64(bytes.count), family: md.family)
        // Loads from the temporary file (CRCs, self-test) before it is renamed into place.
        let v = try ResidentVariant(path: u.path, entry: entry, trusted: trusted)
        entry.file = try store.commit(u, name: md.name, version: md.version)
        v.entry = entry
        var next = state
        let replaced = next.entry(md.name)
        next.put(entry)
        let switching = activate || next.active == md.name || next.active.isEmpty
        if switching && next.active != md.name {
            next.previous = next.active
            next.active = md.name
        }
        next.counter = Swift.max(next.counter, counter)
        try store.write(next)
        state = next
        if let r = replaced { DurableFile.remove(store.variantsDir + "/" + r.file) }
        lock.locked {
            if switching {
                if active != nil { switches += 1 }
                active = v
            }
            if switching || resident[md.name] != nil { resident[md.name] = v }
            evictLocked(previous: next.previous)
        }
        Log.info("installed '\(md.name)' v\(md.version) (\(bytes.count) bytes)\(switching ? ", active" : "")")
        return "installed \(md.name) v\(md.version)" + (switching ? " (active)" : "")
    }

    func activate(_ name: String, counter: UInt64?) throws(WireError) -> String {
        guard let e = control.locked({ state.entry(name) }) else {
            throw WireError(.noSuchVariant, "no variant named '\(name)' is installed")
        }
        // Cold load (and self-test, which warms it) happens before the switch, outside
        // the request path; requests keep flowing to the current variant meanwhile.
        let v: ResidentVariant
        if let r = lock.locked({ resident[name] }) { v = r } else {
            v = try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted)
        }
        try mutate(counter: counter) { st throws(WireError) in
            guard st.entry(name)?.version == e.version else { throw WireError(.noSuchVariant, "'\(name)' changed during activation") }
            if st.active != name {
                st.previous = st.active
                st.active = name
            }
        }
        swapIn(v)
        return "active: \(name) v\(e.version)"
    }

    func rollback(counter: UInt64) throws(WireError) -> String {
        var target = ""
        var entry: CatalogEntry? = nil
        control.locked {
            target = state.previous
            entry = state.entry(target)
        }
        guard !target.isEmpty, let e = entry else { throw WireError(.nothingToRollBack, "there is no previous variant to roll back to") }
        let v: ResidentVariant
        if let r = lock.locked({ resident[target] }) { v = r } else {
            v = try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted)
        }
        try mutate(counter: counter) { st throws(WireError) in
            guard st.previous == target else { throw WireError(.nothingToRollBack, "the previous variant changed meanwhile") }
            st.previous = st.active
            st.active = target
        }
        swapIn(v)
        return "rolled back to \(target) v\(e.version)"
    }

    private func swapIn(_ v: ResidentVariant) {
        let prevName = control.locked { state.previous }
        lock.locked {
            if active !== v { switches += 1 }
            active = v
            resident[v.entry.name] = v
            evictLocked(previous: prevName)
        }
    }

    /// Keeps active and previous resident. Dropping a handle here frees nothing while
    /// requests still hold it: ARC releases mapping and arenas after the last one.
    private func evictLocked(previous: String) {
        let keep = [active?.entry.name ?? "", previous]
        for name in Array(resident.keys) where !keep.contains(name) { resident[name] = nil }
    }

    // MARK: local installs (EdgeFleet)
    // The caller authorised these itself (EdgeFleet verifies a signed desired state and
    // its sequence number); the artifact is still verified, self-tested and installed A/B
    // exactly like a push, and a failure leaves the serving variant as it was.

    /// Installs a complete artifact held in memory, as `push` does.
    public func installArtifact(_ bytes: [UInt8], activate: Bool) throws(WireError) -> String {
        edgeLockControl()
        let u: Upload
        do throws(WireError) {
            u = try store.beginUpload(total: UInt64(bytes.count), used: state.usedBytes)
        } catch {
            edgeUnlockControl()
            throw error
        }
        edgeUnlockControl()
        do throws(WireError) { try u.append(offset: 0, bytes) } catch {
            u.discard()
            throw error
        }
        return try install(u, sha256: Sha256.digest(bytes), activate: activate, counter: 0)
    }

    /// Activates an installed variant, as `activate` does.
    public func activateInstalled(_ name: String) throws(WireError) -> String {
        try activate(name, counter: nil)
    }
}
