import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// Seeded mutations of real compiled models, loaded with checksums off so the bytes reach
/// every parser and every layer's validation; whatever loads is also run. Nothing may
/// crash. (Tools/fuzz_edgm.sh runs the same entry point under libFuzzer + ASan.)
final class EdgmLoaderFuzzTests: XCTestCase {
    func compiled(_ model: String, shape: [String: [Int]] = [:]) throws -> [UInt8] {
        var options = CompileOptions()
        options.inputShapes = shape
        let path = FixtureCase.root.appendingPathComponent("models/\(model)/model.onnx").path
        return try Compiler.compile(onnxPath: path, options: options).bytes
    }

    func fuzz(_ good: [UInt8], iterations: Int, seed: UInt64) -> (loaded: Int, ran: Int) {
        var state = seed
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        // Mutate the structural sections more often than the weights: that is where a
        // parser or a layer's validation can go wrong.
        let structural = min(good.count, 4096 + 64 * 200)
        var loaded = 0, ran = 0
        for _ in 0..<iterations {
            var b = good
            for _ in 0..<(1 + next() % 3) {
                let at = next() % 4 == 0 ? next() % b.count : next() % structural
                switch next() % 4 {
                case 0: b[at] = UInt8(truncatingIfNeeded: next())
                case 1: b[at] ^= UInt8(1 << (next() % 8))
                case 2: b[at] = [0x00, 0xFF, 0x7F, 0x80][next() % 4]
                default: b.removeSubrange(at..<min(b.count, at + 1 + next() % 8))
                }
            }
            guard let interpreter = try? Interpreter(bytes: b, verifyChecksums: false) else { continue }
            loaded += 1
            if interpreter.model.graph.arenaBytes < 64 << 20 {
                interpreter.run()
                ran += 1
            }
        }
        return (loaded, ran)
    }

    func testMutatedResNetNeverCrashes() throws {
        let good = try compiled("resnet18", shape: ["input": [1, 3, 32, 32]])
        let r = fuzz(good, iterations: 1500, seed: 1)
        XCTAssertGreaterThan(r.ran, 0, "some mutations (in weights, names) must still load and run")
    }

    func testMutatedYoloNeverCrashes() throws {
        let c = try FixtureCase(directory: FixtureCase.root.appendingPathComponent("models/yolo_tiny"))
        let good = try compiled("yolo_tiny", shape: c.runs[0].shapes)
        let r = fuzz(good, iterations: 1500, seed: 2)
        XCTAssertGreaterThan(r.ran, 0)
    }

    func testMutatedMobileNetV3NeverCrashes() throws {
        let good = try compiled("mobilenetv3_small")
        let r = fuzz(good, iterations: 1500, seed: 3)
        XCTAssertGreaterThan(r.ran, 0)
    }
}
