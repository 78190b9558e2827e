import CEdgeAgentSupport
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
    /// Active and previous (a list: at most two entries, no hashing needed).
    private var resident: [ResidentVariant] = []
    private var served: UInt64 = 0
    private var failed: UInt64 = 0
    private var switches: UInt64 = 0
    private var refused: UInt64 = 0
    var connections: UInt32 = 0
    /// Switch latency bookkeeping (guarded by `lock`): the variant just switched to and
    /// when its command arrived; the first request it serves closes the sample.
    private var pendingSwitch: ResidentVariant? = nil
    private var pendingSince: UInt64 = 0
    private var switchSamples: [UInt64] = []
    private var switchSampleNext = 0
    private var lastColdLoad: UInt64 = 0
    /// Policy (guarded by `lock`): recent latencies of the active variant, in ns.
    private var policy: SwitchPolicy? = nil
    private var policyThreadStarted = false
    private var policySwitches: UInt64 = 0
    private var recent: [UInt64] = []
    private var recentNext = 0
    private var activeSince: UInt64 = 0

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
                    resident.append(try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted))
                } catch {
                    Log.info("variant '\(name)' does not load (\(error.message)); not serving it")
                }
            }
        }
        if residentNamed(state.active) == nil, !state.previous.isEmpty, residentNamed(state.previous) != nil {
            state.active = state.previous
            state.previous = ""
            try store.write(state)
        }
        active = residentNamed(state.active)
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
            lock.locked {
                if let p = pendingSwitch, p === v {
                    let sample = Clock.nowNanos() &- pendingSince
                    if switchSamples.count < 1024 { switchSamples.append(sample) } else { switchSamples[switchSampleNext] = sample }
                    switchSampleNext = (switchSampleNext + 1) % 1024
                    pendingSwitch = nil
                }
                if v === active {
                    let l = Clock.nowNanos() &- t0
                    if recent.count < 64 { recent.append(l) } else { recent[recentNext] = l }
                    recentNext = (recentNext + 1) % 64
                }
            }
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
                                              resident: residentNamed(e.name) != nil))
            }
            s.served = served; s.failed = failed; s.switches = switches
            s.lastCounter = st.counter; s.refused = refused; s.connections = connections
            s.rssBytes = UInt64(Swift.max(0, edge_rss_bytes()))
            var sorted = switchSamples
            Latency.sortAscending(&sorted)
            if !sorted.isEmpty {
                s.switchP50Nanos = sorted[(sorted.count - 1) / 2]
                s.switchP99Nanos = sorted[((sorted.count - 1) * 99) / 100]
            }
            s.switchSamples = UInt32(sorted.count)
            s.lastColdLoadNanos = lastColdLoad
            s.policyBudgetMs = policy?.spec.budgetMs ?? 0
            s.policySwitches = policySwitches
            s.recentP95Ms = Double(recentP95Locked()) / 1e6
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
    /// `counter` nil: no counter is consumed: a switch the agent decides itself (policy), or one
    /// authorised by the caller (a verified fleet desired state, EdgeFleet).
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
    func install(_ u: Upload, sha256: [UInt8], activate: Bool, counter: UInt64, receivedNanos: UInt64) throws(WireError) -> String {
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
            lastColdLoad = v.loadNanos
            if switching {
                if active != nil { switches += 1 }
                active = v
                pendingSwitch = v
                pendingSince = receivedNanos
                recent.removeAll()
                recentNext = 0
                activeSince = Clock.nowNanos()
            }
            if switching || residentNamed(md.name) != nil { putResident(v) }
            evictLocked(previous: next.previous)
        }
        Log.info("installed '\(md.name)' v\(md.version) (\(bytes.count) bytes)\(switching ? ", active" : "")")
        return "installed \(md.name) v\(md.version)" + (switching ? " (active)" : "")
    }

    func activate(_ name: String, counter: UInt64?, receivedNanos: UInt64) throws(WireError) -> String {
        guard let e = control.locked({ state.entry(name) }) else {
            throw WireError(.noSuchVariant, "no variant named '\(name)' is installed")
        }
        // Cold load (and self-test, which warms it) happens before the switch, outside
        // the request path; requests keep flowing to the current variant meanwhile.
        let v: ResidentVariant
        if let r = lock.locked({ residentNamed(name) }) { v = r } else {
            v = try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted)
            lock.locked { lastColdLoad = v.loadNanos }
        }
        try mutate(counter: counter) { st throws(WireError) in
            guard st.entry(name)?.version == e.version else { throw WireError(.noSuchVariant, "'\(name)' changed during activation") }
            if st.active != name {
                st.previous = st.active
                st.active = name
            }
        }
        swapIn(v, receivedNanos: receivedNanos)
        return "active: \(name) v\(e.version)"
    }

    func rollback(counter: UInt64, receivedNanos: UInt64) throws(WireError) -> String {
        var target = ""
        var entry: CatalogEntry? = nil
        control.locked {
            target = state.previous
            entry = state.entry(target)
        }
        guard !target.isEmpty, let e = entry else { throw WireError(.nothingToRollBack, "there is no previous variant to roll back to") }
        let v: ResidentVariant
        if let r = lock.locked({ residentNamed(target) }) { v = r } else {
            v = try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted)
            lock.locked { lastColdLoad = v.loadNanos }
        }
        try mutate(counter: counter) { st throws(WireError) in
            guard st.previous == target else { throw WireError(.nothingToRollBack, "the previous variant changed meanwhile") }
            st.previous = st.active
            st.active = target
        }
        swapIn(v, receivedNanos: receivedNanos)
        return "rolled back to \(target) v\(e.version)"
    }

    private func swapIn(_ v: ResidentVariant, receivedNanos: UInt64) {
        let prevName = control.locked { state.previous }
        lock.locked {
            if active !== v {
                switches += 1
                pendingSwitch = v
                pendingSince = receivedNanos
                recent.removeAll()
                recentNext = 0
                activeSince = Clock.nowNanos()
            }
            active = v
            putResident(v)
            evictLocked(previous: prevName)
        }
    }

    /// Keeps active and previous resident. Dropping a handle here frees nothing while
    /// requests still hold it: ARC releases mapping and arenas after the last one.
    // MARK: policy

    func setPolicy(_ spec: PolicySpec, counter: UInt64) throws(WireError) -> String {
        guard spec.budgetMs >= 0, spec.budgetMs <= 3_600_000 else { throw WireError(.badRequest, "policy budget out of range") }
        for v in spec.variants where !(v.latencyMs >= 0 && v.latencyMs < 1e9 && v.accuracy >= 0 && v.accuracy <= 1) {
            throw WireError(.badRequest, "policy variant '\(v.name)' has a latency or accuracy out of range")
        }
        try mutate(counter: counter) { _ throws(WireError) in }
        let startThread: Bool = lock.locked {
            policy = spec.variants.isEmpty ? nil : SwitchPolicy(spec: spec)
            let start = !policyThreadStarted && policy != nil
            if start { policyThreadStarted = true }
            return start
        }
        if startThread {
            _ = Threads.start { [self] in
                while true {
                    edge_sleep_ms(100)
                    policyTick()
                }
            }
        }
        if spec.variants.isEmpty { return "policy off" }
        // Names the agent does not have are ignored; say so, it is the usual mistake.
        var installed = 0
        let names = control.locked { state.catalog.map { $0.name } }
        for v in spec.variants {
            for n in names where n == v.name { installed += 1 }
        }
        return "policy: \(spec.variants.count) variants (\(installed) installed here), p95 budget \(Int(spec.budgetMs * 1000)) us"
    }

    private func recentP95Locked() -> UInt64 {
        if recent.isEmpty { return 0 }
        var s = recent
        Latency.sortAscending(&s)
        return s[((s.count - 1) * 95) / 100]
    }

    private func policyTick() {
        let installed = control.locked { state.catalog.map { $0.name } }
        let target: String? = lock.locked {
            guard let p = policy, let a = active else { return nil }
            return p.decide(current: a.entry.name, p95Ms: Double(recentP95Locked()) / 1e6, samples: recent.count,
                            sinceSwitchMs: Double(Clock.nowNanos() &- activeSince) / 1e6,
                            installed: { name in
                                for n in installed where n == name { return true }
                                return false
                            })
        }
        guard let t = target else { return }
        do throws(WireError) {
            _ = try activate(t, counter: nil, receivedNanos: Clock.nowNanos())
            lock.locked { policySwitches += 1 }
            Log.info("policy: switched to '\(t)'")
        } catch {
            Log.info("policy: cannot switch to '\(t)': \(error.message)")
        }
    }

    private func evictLocked(previous: String) {
        // Plain loops on purpose: `resident.removeAll { !keep.contains(...) }` with an
        // array literal `keep` segfaulted in the aarch64 Embedded build under qemu (cause
        // not isolated; the x86_64 Embedded and the host builds were fine).
        let a = active?.entry.name ?? ""
        var kept: [ResidentVariant] = []
        for r in resident where r.entry.name == a || r.entry.name == previous { kept.append(r) }
        resident = kept
    }

    private func residentNamed(_ name: String) -> ResidentVariant? {
        for r in resident where r.entry.name == name { return r }
        return nil
    }

    private func putResident(_ v: ResidentVariant) {
        var kept: [ResidentVariant] = []
        for r in resident where r.entry.name != v.entry.name { kept.append(r) }
        kept.append(v)
        resident = kept
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
        return try install(u, sha256: Sha256.digest(bytes), activate: activate, counter: 0, receivedNanos: Clock.nowNanos())
    }

    /// Activates an installed variant, as `activate` does.
    public func activateInstalled(_ name: String) throws(WireError) -> String {
        try activate(name, counter: nil, receivedNanos: Clock.nowNanos())
    }
}
