import EdgeFormat
import EdgeRuntime
import EdgeTrust
import EdgeWire

/// A loaded variant: its artifact mmap'd once, and a pool of interpreters over it (each
/// with its own arena; the weights are shared, read-only, in the mapping).
///
/// It is a reference-counted handle: a request holds it from start to end, so a variant
/// that stops being active keeps serving the requests it has, and its mapping and arenas
/// are released when the last of them ends (TF Serving's servable handle).
final class ResidentVariant {
    var entry: CatalogEntry
    let mapped: MappedFile
    let artifact: SignedArtifact
    let inputIds: [Int]
    let outputIds: [Int]
    private let lock = Lock()
    private var idle: [Interpreter] = []
    /// Nanoseconds the load took (mmap + verify + first interpreter + self-test).
    let loadNanos: UInt64

    /// Maps, verifies the signature, loads (CRCs checked) and runs the self-test.
    init(path: String, entry: CatalogEntry, trusted: [[UInt8]]) throws(WireError) {
        let t0 = Clock.nowNanos()
        let m: MappedFile
        do { m = try MappedFile(path: path) } catch { throw WireError(.io, error.message) }
        let a = try SignedArtifact(verifying: m.bytes, trusted: trusted)
        let first = try ResidentVariant.interpreter(m, a)
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
        self.idle = [first]
        self.loadNanos = Clock.nowNanos() &- t0
    }

    static func interpreter(_ m: MappedFile, _ a: SignedArtifact) throws(WireError) -> Interpreter {
        let image = UnsafeRawBufferPointer(rebasing: m.bytes[a.modelRange])
        do {
            return try Interpreter(image: image, owner: m, verifyChecksums: true)
        } catch {
            throw WireError(.badArtifact, "model inside the artifact does not load: \(error.message)")
        }
    }

    func checkout() throws(WireError) -> Interpreter {
        if let i = lock.locked({ idle.popLast() }) { return i }
        // Weights were CRC-checked by the first load; later interpreters skip that.
        let image = UnsafeRawBufferPointer(rebasing: mapped.bytes[artifact.modelRange])
        do { return try Interpreter(image: image, owner: mapped, verifyChecksums: false) } catch {
            throw WireError(.internalError, "cannot create an interpreter: \(error.message)")
        }
    }

    func checkin(_ i: Interpreter) { lock.locked { idle.append(i) } }
}

/// The golden input/output pair `edgec sign` embeds: run on install and before a variant
/// takes traffic (it also warms caches and page-ins the weights).
enum SelfTest {
    static func run(_ interp: Interpreter, _ a: SignedArtifact) throws(WireError) {
        guard !a.selfTestInputs.isEmpty, !a.selfTestOutputs.isEmpty else {
            throw WireError(.selfTestFailed, "artifact carries no self-test")
        }
        for t in a.selfTestInputs {
            guard let id = interp.tensorId(named: t.name) else {
                throw WireError(.selfTestFailed, "self-test input '\(t.name)' is not a tensor of the model")
            }
            do {
                try t.values.withUnsafeBufferPointer { buf throws(EdgeError) in try interp.write(tensor: id, buf) }
            } catch {
                throw WireError(.selfTestFailed, "self-test input: \(error.message)")
            }
        }
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
}
