import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// Seeded byte mutations of the operator fixtures' ONNX files through the whole compiler
/// (and, when they compile, the runtime): a hostile or corrupt model must end in an
/// error, never a trap (overflowing shape arithmetic, out-of-range indices, ...).
final class CompilerMutationTests: XCTestCase {
    func testMutatedModelsNeverCrashTheCompiler() throws {
        // EDGE_MUTATIONS / EDGE_MUTATION_SEED run longer or other campaigns by hand;
        // EDGE_MUTATION_TRACE prints each mutant before it is compiled (to find a trap).
        let environment = ProcessInfo.processInfo.environment
        let iterations = Int(environment["EDGE_MUTATIONS"] ?? "") ?? 1500
        let cases = try FixtureCase.all(in: "ops")
        var sources: [([UInt8], [String: [Int]])] = []
        for c in cases {
            sources.append(([UInt8](try Data(contentsOf: URL(fileURLWithPath: c.modelPath))), c.runs.first?.shapes ?? [:]))
        }
        var state = UInt64(environment["EDGE_MUTATION_SEED"] ?? "") ?? 0xEDCE
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var compiled = 0
        for i in 0..<iterations {
            var (bytes, shapes) = sources[i % sources.count]
            for _ in 0..<(1 + next() % 3) {
                let at = next() % bytes.count
                switch next() % 4 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: next())
                case 1: bytes[at] ^= UInt8(1 << (next() % 8))
                case 2: bytes[at] = [0x00, 0xFF, 0x7F, 0x80, 0x01][next() % 5]
                default: bytes[at] &+= 1
                }
            }
            var options = CompileOptions()
            options.inputShapes = shapes
            if environment["EDGE_MUTATION_TRACE"] != nil { print("mutant \(i) of \(cases[i % sources.count].name)") }
            guard let result = try? Compiler.compile(onnxBytes: bytes, name: "mutant", options: options) else { continue }
            compiled += 1
            // A mutant may be a valid model with huge tensors: run only the small ones.
            if result.arenaBytes < 64 << 20, let interpreter = try? Interpreter(bytes: result.bytes) {
                interpreter.run()
            }
        }
        XCTAssertGreaterThan(compiled, 0)
    }
}
