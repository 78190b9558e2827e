import CAllocationCounter
import CEdgeSupport
import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// After load, `Interpreter.run` must not touch the heap: every buffer (arena, scratch,
/// index tables, transformed weights) is made at load time. Counted with a malloc
/// interposer (Tests/CAllocationCounter) over real models.
///
/// No OpenBLAS thread setting here, and no OPENBLAS_CORETYPE: `run` must not allocate
/// whatever the machine. It used to call cblas_sgemm, and OpenBLAS 0.3.21 mallocs inside
/// it in two places: the SkylakeX/Cooperlake small-matrix kernel
/// (sgemm_small_kernel_nn_skylakex.c: a copy of A's last 1-8 rows when M*N*K <= 1e6,
/// K >= 32 and, in row-major terms, N mod 16 in 1...8) and the threaded level-3 driver
/// (level3_thread.c: its job array, since Debian builds MAX_THREADS=64). Edge's own GEMM
/// (edge_gemm.c) now takes all its memory from the interpreter's scratch.
final class AllocationFreeRunTests: XCTestCase {
    /// On one thread and on two (the pool's workers are counted too: the interposer sees
    /// every thread of the process).
    func testRunningModelsAllocatesNothing() throws {
        for c in try FixtureCase.all(in: "models") {
            var options = CompileOptions()
            options.inputShapes = c.runs[0].shapes
            let bytes = try Compiler.compile(onnxPath: c.modelPath, options: options).bytes
            for threads in [1, 2] {
                let interpreter = try Interpreter(bytes: bytes, threads: threads)
                interpreter.run()  // warm-up: a first run may touch lazily mapped pages, never the heap
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
                XCTAssertEqual(allocations, 0, "\(c.name), \(threads) thread(s): \(allocations) heap allocations in 3 runs, in "
                               + culprits.joined(separator: ", "))
            }
        }
    }

    /// Splitting the GEMMs over threads changes no output bit: every output element is
    /// still summed by one thread in the same order.
    func testTwoThreadsGiveTheSameOutputsAsOne() throws {
        for c in try FixtureCase.all(in: "models") {
            var options = CompileOptions()
            options.inputShapes = c.runs[0].shapes
            let bytes = try Compiler.compile(onnxPath: c.modelPath, options: options).bytes
            var outputs: [[Float]] = []
            for threads in [1, 2] {
                let interpreter = try Interpreter(bytes: bytes, threads: threads)
                for t in interpreter.model.graph.inputs {
                    let count = interpreter.model.tensors[Int(t)].elementCount
                    let values = (0..<count).map { Float(($0 * 7919) % 2003) / 1001 - 1 }
                    try values.withUnsafeBufferPointer { try interpreter.write(tensor: Int(t), $0) }
                }
                interpreter.run()
                var all: [Float] = []
                for t in interpreter.model.graph.outputs { all += Array(interpreter.read(tensor: Int(t))) }
                outputs.append(all)
            }
            XCTAssertEqual(outputs[0], outputs[1], "\(c.name): 2 threads differ from 1")
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
