import EdgeFormat
import EdgeRuntime
import EdgeTrust
import EdgeWire

/// A loaded variant: its artifact mmap'd once, and one interpreter per worker slot, each
/// running in that slot's shared workspace (WorkerSlots): the weights are shared,
/// read-only, in the mapping; the arenas are the slots', sized for the largest variant.
///
/// It is a reference-counted handle: a request holds it from start to end, so a variant
/// that stops being active keeps serving the requests it has, and its mapping is
/// released when the last of them ends (TF Serving's servable handle).
final class ResidentVariant {
    var entry: CatalogEntry
    let mapped: MappedFile
    let artifact: SignedArtifact
    let inputIds: [Int]
    let outputIds: [Int]
    let slots: WorkerSlots
    private let lock = Lock()
    /// Interpreter of slot k; only the holder of slot k uses (and replaces) entry k.
    private var perSlot: [Interpreter?]
    /// Nanoseconds the load took (mmap + verify + first interpreter + self-test).
    let loadNanos: UInt64

    /// Maps, verifies the signature, loads (CRCs checked) and runs the self-test.
    init(path: String, entry: CatalogEntry, trusted: [[UInt8]], slots: WorkerSlots) throws(WireError) {
        let t0 = Clock.nowNanos()
        let m: MappedFile
        do { m = try MappedFile(path: path) } catch { throw WireError(.io, error.message) }
        let a = try SignedArtifact(verifying: m.bytes, trusted: trusted)
        slots.controlLock.lockRaw()
        defer {
            slots.releaseControl()
            slots.controlLock.unlockRaw()
        }
        let first = try ResidentVariant.interpreter(m, a, verify: true, workspace: slots.controlWorkspace)
        try SelfTest.run(first, a)
        var ins: [Int] = []
        for id in first.model.graph.inputs { ins.append(Int(id)) }
        var outs: [Int] = []
        for id in first.model.graph.outputs { outs.append(Int(id)) }
        self.entry = entry
        self.mapped = m
        self.artifact = a
        self.inputIds = ins
        self.outputIds = outs
        self.slots = slots
        self.perSlot = [Interpreter?](repeating: nil, count: slots.count)
        self.loadNanos = Clock.nowNanos() &- t0
    }

    static func interpreter(_ m: MappedFile, _ a: SignedArtifact, verify: Bool, workspace: Workspace?) throws(WireError) -> Interpreter {
        let image = UnsafeRawBufferPointer(rebasing: m.bytes[a.modelRange])
        do {
            return try Interpreter(image: image, owner: m, verifyChecksums: verify, workspace: workspace)
        } catch {
            throw WireError(.badArtifact, "model inside the artifact does not load: \(error.message)")
        }
    }

    /// The interpreter for worker slot `slot` (the caller holds the slot). Built on first
    /// use, and rebuilt when the slot's workspace grew for a larger variant since.
    /// Weights were CRC-checked by the first load; later interpreters skip that.
    func interpreter(slot: Int) throws(WireError) -> Interpreter {
        let ws = slots.workspace(slot)
        if let i = lock.locked({ perSlot[slot] }), ws?.shares(i) ?? true { return i }
        let i = try ResidentVariant.interpreter(mapped, artifact, verify: false, workspace: ws)
        if let ws { slots.noteSize(slot, ws.byteCount) }
        lock.locked { perSlot[slot] = i }
        return i
    }

    /// Runs `body` on an interpreter of this variant in the control workspace, which is
    /// released afterwards (self-tests and benches are rare; the memory is not kept).
    func withControlInterpreter<T>(_ body: (Interpreter) throws(WireError) -> T) throws(WireError) -> T {
        slots.controlLock.lockRaw()
        defer {
            slots.releaseControl()
            slots.controlLock.unlockRaw()
        }
        return try body(try ResidentVariant.interpreter(mapped, artifact, verify: false, workspace: slots.controlWorkspace))
    }
}

/// The golden input/output pair `edgec sign` embeds: run on install and before a variant
/// takes traffic (it also warms caches and page-ins the weights).
enum SelfTest {
    static func run(_ interp: Interpreter, _ a: SignedArtifact) throws(WireError) {
        guard !a.selfTestInputs.isEmpty, !a.selfTestOutputs.isEmpty else {
            throw WireError(.selfTestFailed, "artifact carries no self-test")
        }
        try writeInputs(interp, a, failure: .selfTestFailed)
        interp.run()
        for t in a.selfTestOutputs {
            guard let id = interp.tensorId(named: t.name) else {
                throw WireError(.selfTestFailed, "self-test output '\(t.name)' is not a tensor of the model")
            }
            let got = interp.read(tensor: id)
            guard got.count == t.values.count else {
                throw WireError(.selfTestFailed, "self-test output '\(t.name)' has \(got.count) values, expected \(t.values.count)")
            }
            for i in 0..<got.count {
                let want = t.values[i]
                let d = got[i] - want
                let tol: Float = 1e-3 + 1e-3 * (want < 0 ? -want : want)
                if !(d <= tol && d >= -tol) {
                    throw WireError(.selfTestFailed, "self-test output '\(t.name)' differs from the golden output at index \(i)")
                }
            }
        }
    }

    /// Writes the golden input (the self-test's, and the bench's).
    static func writeInputs(_ interp: Interpreter, _ a: SignedArtifact, failure: RefusalCode) throws(WireError) {
        for t in a.selfTestInputs {
            guard let id = interp.tensorId(named: t.name) else {
                throw WireError(failure, "self-test input '\(t.name)' is not a tensor of the model")
            }
            do {
                try t.values.withUnsafeBufferPointer { buf throws(EdgeError) in try interp.write(tensor: id, buf) }
            } catch {
                throw WireError(failure, "self-test input: \(error.message)")
            }
        }
    }
}
