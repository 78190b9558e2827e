import CAllocationCounter
import CEdgeSupport
import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import XCTest

/// After load, `Interpreter.run` must not touch the heap: every buffer (arena, scratch,
/// index tables, transformed weights) is made at load time. Counted with a malloc
/// interposer (Tests/CAllocationCounter) over real models.
///
/// OpenBLAS runs single-threaded here, as on the device and in the benchmarks: its
/// threaded sgemm mallocs a job descriptor on some calls (seen in a backtrace), which is
/// OpenBLAS's, not the interpreter's.
final class AllocationFreeRunTests: XCTestCase {
    func testRunningModelsAllocatesNothing() throws {
        let threads = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(threads) }
        for c in try FixtureCase.all(in: "models") {
            var options = CompileOptions()
            options.inputShapes = c.runs[0].shapes
            let interpreter = try Interpreter(bytes: try Compiler.compile(onnxPath: c.modelPath, options: options).bytes)
            interpreter.run()  // warm-up: OpenBLAS sets up its buffers on first use
            edge_allocations_start()
            for _ in 0..<3 { interpreter.run() }
            let allocations = edge_allocations_stop()
            var culprits: [String] = []
            if allocations > 0 {
                for i in 0..<interpreter.layers.count {
                    edge_allocations_start()
                    interpreter.run(i..<(i + 1))
                    let n = edge_allocations_stop()
                    if n > 0 { culprits.append("\(interpreter.model.ops[i].name) (\(interpreter.model.ops[i].code)): \(n)") }
                }
            }
            XCTAssertEqual(allocations, 0, "\(c.name): \(allocations) heap allocations in 3 runs, in " + culprits.joined(separator: ", "))
        }
    }

    /// The counter itself works (so the test above can fail).
    func testCounterSeesAnAllocation() {
        edge_allocations_start()
        let array = [Float](repeating: 1, count: Int.random(in: 1000...2000))
        let allocations = edge_allocations_stop()
        XCTAssertGreaterThan(array.count, 0)
        XCTAssertGreaterThan(allocations, 0)
    }
}
