import CEdgeAgentSupport
import EdgeFormat
import EdgeRoma
import EdgeRuntime
import EdgeTransfer
import EdgeTrust
import EdgeWire

/// The agent's logic, independent of sockets: the catalog, the active variant and the
/// commands. Two locks: `control` serialises commands that change state (they are rare
/// and may fsync); `lock` guards the few fields requests read (held for nanoseconds).
public final class Agent {
    let store: VariantStore
    let trusted: [[UInt8]]
    let slots: WorkerSlots
    /// Variants kept loaded (active and previous always; then the most recently used).
    let maxResident: Int
    private let control = Lock()
    private let lock = Lock()
    /// Guarded by `control` (and the durable copy on disk).
    private var state: AgentState
    /// Guarded by `lock`.
    private var active: ResidentVariant?
    /// Loaded variants, least recently activated first (a short list: no hashing needed).
    private var resident: [ResidentVariant] = []
    /// First-run check (guarded by `lock`): the variant just switched to, until one of
    /// its requests succeeds, and the variant that served before it, to fall back to.
    private var probation: ResidentVariant? = nil
    private var probationFallback: ResidentVariant? = nil
    /// Variants rolled back after a failed first run: the policy does not pick them
    /// again until a newer version is installed (an operator still may, explicitly).
    private var quarantined: [String] = []
    private var firstRunRollbacks: UInt64 = 0
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
    /// Policy (guarded by `lock`): recent latencies of the active variant.
    private var policy: SwitchPolicy? = nil
    private var policyThreadStarted = false
    private var policySwitches: UInt64 = 0
    private var recent = LatencyWindow()
    private var activeSince: UInt64 = 0
    /// Forwarding (guarded by `lock`): where the active slice's output goes, if anywhere.
    private var forward: NextHop? = nil
    private var forwardedCount: UInt64 = 0
    private var forwardFailed: UInt64 = 0
    /// Random per process; a FORWARD that already passed this id is a loop.
    public let agentId: UInt64 = Agent.randomId()
    /// ROMA policy (guarded by `romaLock`, taken after `lock` when both are needed):
    /// the selector, the swap it asked for and not yet made ("" = none), swaps made.
    private let romaLock = Lock()
    private var roma: RomaPolicy? = nil
    private var romaPending = ""
    private var romaSwaps: UInt64 = 0
    private var romaThreadStarted = false
    private let romaWake = Semaphore(0)

    public init(storeDir: String, trusted: [[UInt8]], workers: Int, quotaBytes: UInt64, maxResident: Int = 2,
                sharedArenas: Bool = true) throws(WireError) {
        self.store = try VariantStore(root: storeDir, quotaBytes: quotaBytes)
        self.trusted = trusted
        self.slots = try WorkerSlots(workers, shared: sharedArenas)
        self.maxResident = Swift.max(2, maxResident)
        self.state = try store.recover()
        // Bring active and previous in; a variant that no longer loads is skipped and,
        // if it was active, the previous one takes over.
        for name in [state.active, state.previous] where !name.isEmpty {
            if let e = state.entry(name) {
                do throws(WireError) {
                    resident.append(try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted, slots: slots))
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

    /// `receivedNanos`: when the request's frame arrived (`FrameIO.read`); its latency,
    /// in the reply and in the policy's window, counts from there.
    public func infer(_ req: InferRequest, receivedNanos: UInt64) -> Message {
        serve(.tensors(req.inputs), visited: [], zlibOutputs: req.zlibOutputs, t0: receivedNanos)
    }

    /// A FORWARD from the previous agent of a chain: its slice's output is this slice's
    /// input. Loops and over-long chains are refused before any work (or worker) is taken.
    public func forwarded(_ f: ForwardRequest, receivedNanos: UInt64) -> Message {
        for id in f.visited where id == agentId {
            count(failed: true)
            return .refused(.badRequest, "forward loop: this agent (id \(agentId)) is already in the chain; check the forwarding of its agents")
        }
        guard f.visited.count < ForwardRequest.maxAgents else {
            count(failed: true)
            return .refused(.badRequest, "chain too long: \(f.visited.count) agents before this one (at most \(ForwardRequest.maxAgents) in all)")
        }
        return serve(.transfer(f.tensor), visited: f.visited, zlibOutputs: f.zlibOutputs, t0: receivedNanos)
    }

    enum SliceInput {
        case tensors([WireTensor])
        case transfer(TransferTensor)
    }

    enum SliceOutput {
        case outputs([WireTensor])
        case transfer(TransferTensor)
    }

    /// Runs the active variant (holding a worker only while it computes), then either
    /// replies with its outputs or, when forwarding is set for it, sends its output to the
    /// next agent and replies with what comes back.
    private func serve(_ input: SliceInput, visited: [UInt64], zlibOutputs: Bool, t0: UInt64) -> Message {
        let start = Clock.nowNanos()
        guard let v = lock.locked({ active }) else {
            count(failed: true)
            return .refused(.noActiveVariant, "no variant is active: push and activate one")
        }
        let hop: NextHop? = lock.locked { forward.flatMap { $0.target.variant == v.entry.name ? $0 : nil } }
        let onProbation = lock.locked { probation === v }
        let result: SliceOutput
        do throws(WireError) {
            result = try compute(v, input, hop: hop, zlibOutputs: zlibOutputs, checkFinite: onProbation)
        } catch {
            if onProbation, let reply = firstRunFailed(v, input, zlibOutputs: zlibOutputs, error, t0: t0) { return reply }
            count(failed: true)
            return .refused(error.code, error.message)
        }
        let computeNs = Clock.nowNanos() &- start
        lock.locked { if probation === v { probation = nil; probationFallback = nil } }
        noteServed(v, waitNs: start > t0 ? start &- t0 : 0, servingNs: computeNs)
        switch result {
        case .outputs(let outs):
            // The last slice of a chain says so in the trace; a plain request has none.
            let chain = visited.isEmpty ? [] : [ChainHop(variant: v.entry.name, computeNanos: computeNs, sentBytes: 0, totalNanos: computeNs)]
            return .inferReply(InferReply(outputs: outs, variant: v.entry.name, variantVersion: v.entry.version,
                                          latencyNanos: Clock.nowNanos() &- t0, chain: chain))
        case .transfer(let t):
            guard let hop else { return .refused(.internalError, "transfer output without a next hop") }
            var path = visited
            path.append(agentId)
            do throws(WireError) {
                let (r, sent) = try hop.send(ForwardRequest(tensor: t, visited: path, zlibOutputs: zlibOutputs))
                lock.locked { forwardedCount += 1 }
                let total = Clock.nowNanos() &- t0
                var chain = [ChainHop(variant: v.entry.name, computeNanos: computeNs, sentBytes: UInt64(sent), totalNanos: total)]
                chain.append(contentsOf: r.chain)
                return .inferReply(InferReply(outputs: r.outputs, variant: r.variant, variantVersion: r.variantVersion,
                                              latencyNanos: total, chain: chain))
            } catch {
                lock.locked { forwardFailed += 1 }
                Log.info("forward to \(hop.target.address) failed: \(error.message)")
                return .refused(error.code, error.message)
            }
        }
    }

    /// One slice run in a worker slot (held only while it computes, not while a next hop
    /// answers). `checkFinite`: a NaN or infinite output counts as a failure (the
    /// first-run check of a just-activated variant).
    private func compute(_ v: ResidentVariant, _ input: SliceInput, hop: NextHop?, zlibOutputs: Bool,
                         checkFinite: Bool) throws(WireError) -> SliceOutput {
        let slot = slots.acquire()
        defer { slots.release(slot) }
        let interp = try v.interpreter(slot: slot)
        switch input {
        case .tensors(let ts): try TensorIO.writeInputs(ts, interp, v.inputIds)
        case .transfer(let t): try TensorIO.writeTransfer(t, interp, v.inputIds)
        }
        let tRun = Clock.nowNanos()
        interp.run()
        observeRoma(interp, v, runNanos: Clock.nowNanos() &- tRun)
        if checkFinite {
            for id in v.outputIds {
                for x in interp.read(tensor: id) where !x.isFinite {
                    throw WireError(.internalError, "'\(v.entry.name)' v\(v.entry.version) produced a non-finite output")
                }
            }
        }
        if let hop { return .transfer(try TensorIO.encodeTransfer(interp, v.outputIds, hop.target)) }
        return .outputs(try TensorIO.readOutputs(interp, v.outputIds, zlib: zlibOutputs))
    }

    /// The first real request of a just-activated variant failed. If the variant that
    /// served before serves this same request, the new one is at fault: roll back to the
    /// old one (durably, like a rollback) and answer with its reply. If the old one fails
    /// too, the request is at fault: nil (the caller refuses it; the new variant stays on
    /// probation). The old variant answers with its outputs (it is not forwarded: the
    /// forwarding names the slice that failed).
    private func firstRunFailed(_ v: ResidentVariant, _ input: SliceInput, zlibOutputs: Bool, _ error: WireError, t0: UInt64) -> Message? {
        guard let old = lock.locked({ probation === v ? probationFallback : nil }) else { return nil }
        let outs: [WireTensor]
        do throws(WireError) {
            guard case .outputs(let o) = try compute(old, input, hop: nil, zlibOutputs: zlibOutputs, checkFinite: true) else { return nil }
            outs = o
        } catch { return nil }
        do throws(WireError) {
            try mutate(counter: nil) { st throws(WireError) in
                guard st.active == v.entry.name, st.entry(old.entry.name)?.version == old.entry.version else {
                    throw WireError(.internalError, "state changed meanwhile")
                }
                st.active = old.entry.name
                st.previous = v.entry.name
            }
        } catch {
            // Another request rolled back first, or an operator switched meanwhile: the
            // reply from the old variant is still a correct answer.
            count(failed: false)
            return .inferReply(InferReply(outputs: outs, variant: old.entry.name, variantVersion: old.entry.version,
                                          latencyNanos: Clock.nowNanos() &- t0))
        }
        let tag = v.entry.name
        lock.locked {
            if active === v {
                active = old
                switches += 1
                pendingSwitch = nil
                recent.clear()
                activeSince = Clock.nowNanos()
            }
            probation = nil
            probationFallback = nil
            firstRunRollbacks += 1
            var known = false
            for q in quarantined where q == tag { known = true }
            if !known { quarantined.append(tag) }
            putResident(old)
            evictLocked(previous: v.entry.name)
        }
        Log.info("first request on '\(v.entry.name)' v\(v.entry.version) failed (\(error.message)); '\(old.entry.name)' served it: rolled back")
        count(failed: false)
        return .inferReply(InferReply(outputs: outs, variant: old.entry.name, variantVersion: old.entry.version,
                                      latencyNanos: Clock.nowNanos() &- t0))
    }

    /// Per-layer times of a variant (the active one if `variant` is empty), measured in
    /// the control workspace so it does not take a worker slot; a variant that is not
    /// resident is loaded for the bench and dropped after it.
    public func bench(_ req: BenchRequest) -> Message {
        do throws(WireError) {
            let v: ResidentVariant
            if req.variant.isEmpty {
                guard let a = lock.locked({ active }) else { throw WireError(.noActiveVariant, "no variant is active: name one to bench") }
                v = a
            } else if let r = lock.locked({ residentNamed(req.variant) }) {
                v = r
            } else {
                guard let e = control.locked({ state.entry(req.variant) }) else {
                    throw WireError(.noSuchVariant, "no variant named '\(req.variant)' is installed")
                }
                v = try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted, slots: slots)
            }
            return .benchReply(try v.withControlInterpreter { i throws(WireError) in try LayerBench.run(i, v, iterations: req.iterations) })
        } catch {
            return .refused(error.code, error.message)
        }
    }

    /// Switch-latency and policy bookkeeping of one served request.
    private func noteServed(_ v: ResidentVariant, waitNs: UInt64, servingNs: UInt64) {
        count(failed: false)
        lock.locked {
            if let p = pendingSwitch, p === v {
                let sample = Clock.nowNanos() &- pendingSince
                if switchSamples.count < 1024 { switchSamples.append(sample) } else { switchSamples[switchSampleNext] = sample }
                switchSampleNext = (switchSampleNext + 1) % 1024
                pendingSwitch = nil
            }
            if v === active { recent.add(waitNs: waitNs, servingNs: servingNs) }
        }
    }

    // MARK: forwarding

    /// Sets (or, with an empty host, clears) where the output of `target.variant` goes.
    /// Held in memory like the policy: after a restart `edgec deploy` sets it again.
    func setForward(_ target: ForwardTarget, counter: UInt64) throws(WireError) -> String {
        guard !target.variant.isEmpty else { throw WireError(.badRequest, "forward: name the variant (slice) it applies to") }
        guard target.host.isEmpty || (target.port > 0 && target.port < 65536) else {
            throw WireError(.badRequest, "forward: port \(target.port) out of range")
        }
        guard target.timeoutMs <= 120_000 else { throw WireError(.badRequest, "forward: timeout \(target.timeoutMs) ms above 120000") }
        guard control.locked({ state.entry(target.variant) }) != nil else {
            throw WireError(.noSuchVariant, "forward: no variant named '\(target.variant)' is installed")
        }
        try mutate(counter: counter) { _ throws(WireError) in }
        lock.locked { forward = target.host.isEmpty ? nil : NextHop(target) }
        if target.host.isEmpty { return "forwarding off: '\(target.variant)' replies with its outputs" }
        return "forwarding the output of '\(target.variant)' to \(target.address)"
    }

    /// How many variants were rolled back after a failed first request (cheap: for the
    /// fleet client's poll, which reports such a rollback as a failed install).
    public var firstRunRollbackCount: UInt64 { lock.locked { firstRunRollbacks } }

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
            s.recentP95Ms = recent.p95Ms()
            s.forwardTo = forward?.target.address ?? ""
            s.forwardVariant = forward?.target.variant ?? ""
            s.forwarded = forwardedCount
            s.forwardFailed = forwardFailed
            s.agentId = agentId
            romaLock.locked {
                guard let r = roma else { return }
                s.romaEstimates = r.estimates()
                s.romaCurrent = r.currentName
                s.romaSwitches = romaSwaps
                s.romaOutputs = r.outputs
                s.romaIntervalMs = r.spec.frameIntervalMs
            }
            s.firstRunRollbacks = firstRunRollbacks
            s.arenaBytes = UInt64(slots.byteCount)
            s.maxResident = UInt32(maxResident)
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
        let v = try ResidentVariant(path: u.path, entry: entry, trusted: trusted, slots: slots)
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
            var q: [String] = []
            for n in quarantined where n != md.name { q.append(n) }
            quarantined = q
            if switching { beginServingLocked(v, receivedNanos: receivedNanos) }
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
            v = try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted, slots: slots)
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
            v = try ResidentVariant(path: store.path(of: e), entry: e, trusted: trusted, slots: slots)
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
            if active !== v { beginServingLocked(v, receivedNanos: receivedNanos) }
            putResident(v)
            evictLocked(previous: prevName)
        }
    }

    /// Makes `v` active (under `lock`): switch bookkeeping, and the first-run check
    /// against the variant it replaces (unless that is an older version of the same
    /// name, whose file is gone: there is nothing durable to fall back to).
    private func beginServingLocked(_ v: ResidentVariant, receivedNanos: UInt64) {
        if let old = active, old !== v {
            switches += 1
            if old.entry.name != v.entry.name {
                probation = v
                probationFallback = old
            } else {
                probation = nil
                probationFallback = nil
            }
        }
        active = v
        pendingSwitch = v
        pendingSince = receivedNanos
        recent.clear()
        activeSince = Clock.nowNanos()
    }

    // MARK: policy

    func setPolicy(_ spec: PolicySpec, counter: UInt64) throws(WireError) -> String {
        guard spec.budgetMs >= 0, spec.budgetMs <= 3_600_000 else { throw WireError(.badRequest, "policy budget out of range") }
        for v in spec.variants where !(v.latencyMs >= 0 && v.latencyMs < 1e9 && v.accuracy >= 0 && v.accuracy <= 1) {
            throw WireError(.badRequest, "policy variant '\(v.name)' has a latency or accuracy out of range")
        }
        try mutate(counter: counter) { _ throws(WireError) in }
        if !spec.variants.isEmpty { romaLock.locked { roma = nil } }   // one policy at a time
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

    private func policyTick() {
        let installed = control.locked { state.catalog.map { $0.name } }
        let nowMs = Double(Clock.nowNanos()) / 1e6
        var from = ""
        let target: String? = lock.locked {
            guard policy != nil, let a = active else { return nil }
            policy!.tick(nowMs: nowMs)
            from = a.entry.name
            return policy!.decide(current: a.entry.name, window: recent,
                            sinceSwitchMs: Double(Clock.nowNanos() &- activeSince) / 1e6,
                            installed: { name in
                                for q in quarantined where q == name { return false }
                                for n in installed where n == name { return true }
                                return false
                            })
        }
        guard let t = target else { return }
        do throws(WireError) {
            _ = try activate(t, counter: nil, receivedNanos: Clock.nowNanos())
            lock.locked {
                policySwitches += 1
                policy?.switched(from: from, to: t, nowMs: nowMs)
            }
            Log.info("policy: switched to '\(t)'")
        } catch {
            Log.info("policy: cannot switch to '\(t)': \(error.message)")
        }
    }

    // MARK: ROMA policy

    func setRoma(_ spec: RomaPolicySpec, counter: UInt64) throws(WireError) -> String {
        let activeName = lock.locked { active?.entry.name ?? "" }
        let next: RomaPolicy? = spec.detectors.isEmpty ? nil : try RomaPolicy(spec: spec, active: activeName, now: Clock.nowNanos())
        try mutate(counter: counter) { _ throws(WireError) in }
        if next != nil { lock.locked { policy = nil } }   // one policy at a time
        let startThread: Bool = romaLock.locked {
            roma = next
            romaPending = ""
            romaSwaps = 0
            let start = !romaThreadStarted && next != nil
            if start { romaThreadStarted = true }
            return start
        }
        if startThread {
            _ = Threads.start { [self] in
                while true { romaSwapOnce() }
            }
        }
        guard let r = next else { return "roma policy off" }
        let names = control.locked { state.catalog.map { $0.name } }
        var installed = 0
        for d in spec.detectors {
            for n in names where n == d.name { installed += 1 }
        }
        if r.currentName != activeName { requestRomaSwap(r.currentName) }
        return "roma policy: \(spec.detectors.count) detectors (\(installed) installed here), frame interval \(Int(spec.frameIntervalMs * 1000)) us, starting with \(r.currentName)"
    }

    /// Decodes a served detector's output and lets ROMA look at it (on the request's
    /// thread, after the run, while the interpreter is still checked out).
    private func observeRoma(_ interp: Interpreter, _ v: ResidentVariant, runNanos: UInt64) {
        let activeName = lock.locked { active?.entry.name ?? "" }
        guard let snap = romaLock.locked({ () -> (decoder: DetectionDecoder, output: String, running: Int)? in
            guard let r = roma, let i = r.index(of: v.entry.name) else { return nil }
            return (r.decoder, r.spec.output, i)
        }) else { return }
        let decoder = snap.decoder, outputName = snap.output, running = snap.running
        guard let id = interp.tensorId(named: outputName) else { return }
        let shape = interp.model.tensors[id].shape
        guard shape.count == 4, shape[0] == 1, shape[1] == 5, shape[2] > 0, shape[3] > 0 else { return }
        let dets = decoder.decode(interp.read(tensor: id), rows: shape[2], cols: shape[3])
        let now = Clock.nowNanos()
        let target: String? = romaLock.locked {
            guard roma != nil, roma!.index(of: v.entry.name) == running else { return nil }
            // Someone else chose the serving detector (an operator, a failed swap): go on from it.
            if romaPending.isEmpty, activeName != roma!.currentName, let a = roma!.index(of: activeName) { roma!.selector.follow(a) }
            let want = roma!.observe(dets, running: running, now: now, runMs: Double(runNanos) / 1e6)
            return want != activeName && romaPending.isEmpty ? want : nil
        }
        if let t = target { requestRomaSwap(t) }
    }

    private func requestRomaSwap(_ name: String) {
        let post: Bool = romaLock.locked {
            guard romaPending.isEmpty else { return false }
            romaPending = name
            return true
        }
        if post { romaWake.post() }
    }

    /// The swap thread: waits for a request and makes it (cold load and self-test happen
    /// here, off the request path; requests keep going to the current detector meanwhile).
    private func romaSwapOnce() {
        romaWake.wait()
        let target = romaLock.locked { romaPending }
        guard !target.isEmpty else { return }
        do throws(WireError) {
            _ = try activate(target, counter: nil, receivedNanos: Clock.nowNanos())
            romaLock.locked { romaSwaps += 1; romaPending = "" }
            Log.info("roma: switched to '\(target)'")
        } catch {
            let activeName = lock.locked { active?.entry.name ?? "" }
            romaLock.locked {
                if let a = roma?.index(of: activeName) { roma!.selector.follow(a) }
                romaPending = ""
            }
            Log.info("roma: cannot switch to '\(target)': \(error.message)")
        }
    }

    /// Keeps active and previous resident (and more, up to maxResident). Dropping a handle
    /// here frees nothing while requests still hold it: ARC releases it after the last one.
    private func evictLocked(previous: String) {
        // Plain loops on purpose: `resident.removeAll { !keep.contains(...) }` with an
        // array literal `keep` segfaulted in the aarch64 Embedded build under qemu (cause
        // not isolated; the x86_64 Embedded and the host builds were fine).
        // Active and previous stay; then the most recently activated, up to maxResident.
        let a = active?.entry.name ?? ""
        var others = maxResident
        for r in resident where r.entry.name == a || r.entry.name == previous { others -= 1 }
        var keep = [Bool](repeating: false, count: resident.count)
        var i = resident.count - 1
        while i >= 0 {
            let n = resident[i].entry.name
            if n == a || n == previous { keep[i] = true } else if others > 0 { keep[i] = true; others -= 1 }
            i -= 1
        }
        var kept: [ResidentVariant] = []
        for j in 0..<resident.count where keep[j] { kept.append(resident[j]) }
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

extension Agent {
    /// splitmix64 over the clocks and the pid: distinct per process, no entropy source needed.
    static func randomId() -> UInt64 {
        var z = edge_wall_us() &* 0x9E37_79B9_7F4A_7C15 ^ Clock.nowNanos() ^ (UInt64(UInt32(bitPattern: edge_getpid())) << 40)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        let id = z ^ (z >> 31)
        return id == 0 ? 1 : id
    }
}
