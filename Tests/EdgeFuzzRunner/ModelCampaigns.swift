import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport

/// Seeded mutations of a real compiled model, loaded with checksums off so the bytes
/// reach every parser and every layer's validation; whatever loads is also run.
/// (Tools/fuzz_edgm.sh runs the same loader under libFuzzer + ASan.)
struct EdgmLoaderCampaign: Campaign {
    let good: [UInt8]

    init(sources: [FuzzSource]) throws {
        guard let source = sources.first else { throw TestFailure(message: "edgm: one source model expected") }
        var options = CompileOptions()
        options.inputShapes = source.shapes
        good = try Compiler.compile(onnxPath: source.path, options: options).bytes
    }

    func input(_ index: Int, _ rng: inout SeededRNG) -> [UInt8] {
        // Mutate the structural sections more often than the weights: that is where a
        // parser or a layer's validation can go wrong.
        let structural = min(good.count, 4096 + 64 * 200)
        var b = good
        for _ in 0..<(1 + rng.below(3)) {
            guard !b.isEmpty else { break }
            let at = rng.below(4) == 0 ? rng.below(b.count) : rng.below(min(structural, b.count))
            switch rng.below(4) {
            case 0: b[at] = UInt8(truncatingIfNeeded: rng.next())
            case 1: b[at] ^= UInt8(1 << rng.below(8))
            case 2: b[at] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)]
            default: b.removeSubrange(at..<min(b.count, at + 1 + rng.below(8)))
            }
        }
        return b
    }

    func execute(_ input: [UInt8], index: Int) -> [String] {
        guard let interpreter = try? Interpreter(bytes: input, verifyChecksums: false) else { return ["rejected"] }
        guard interpreter.model.graph.arenaBytes < 64 << 20 else { return ["loaded"] }
        interpreter.run()
        return ["loaded", "ran"]
    }
}

/// Seeded byte mutations of ONNX files through the whole compiler (and, when they
/// compile, the runtime): a hostile or corrupt model must end in an error, never a trap
/// (overflowing shape arithmetic, out-of-range indices, ...). Iteration i mutates
/// source i % count, compiled for that source's shapes.
struct CompilerMutationCampaign: Campaign {
    let sources: [FuzzSource]
    let originals: [[UInt8]]

    init(sources: [FuzzSource]) throws {
        guard !sources.isEmpty else { throw TestFailure(message: "compile: no source models") }
        self.sources = sources
        originals = try sources.map { try $0.bytes }
    }

    func input(_ index: Int, _ rng: inout SeededRNG) -> [UInt8] {
        var bytes = originals[index % originals.count]
        for _ in 0..<(1 + rng.below(3)) {
            let at = rng.below(bytes.count)
            switch rng.below(4) {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            case 1: bytes[at] ^= UInt8(1 << rng.below(8))
            case 2: bytes[at] = [0x00, 0xFF, 0x7F, 0x80, 0x01][rng.below(5)]
            default: bytes[at] &+= 1
            }
        }
        return bytes
    }

    func execute(_ input: [UInt8], index: Int) -> [String] {
        var options = CompileOptions()
        options.inputShapes = sources[index % sources.count].shapes
        guard let result = try? Compiler.compile(onnxBytes: input, name: "mutant", options: options) else { return ["rejected"] }
        // A mutant may be a valid model with huge tensors: run only the small ones.
        guard result.arenaBytes < 64 << 20, let interpreter = try? Interpreter(bytes: result.bytes) else { return ["compiled"] }
        interpreter.run()
        return ["compiled", "ran"]
    }
}
