import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// MatMulLayer against `GemmReference.matMul`: plain 2-D, batched, numpy broadcasting of
/// batch dims (size-1 dims, missing leading dims, on either side), the folded case
/// (batched A × 2-D B), every activation.
final class MatMulKernelTests: XCTestCase {
    func check(aShape: [Int], bShape: [Int], act: TestActivation, _ rng: inout SeededRNG,
               file: StaticString = #filePath, line: UInt = #line) {
        let a = makeRandomTensor(shape: aShape, rng: &rng)
        let b = makeRandomTensor(shape: bShape, rng: &rng)
        let ref = GemmReference.matMul(a: a.values, aShape: aShape, b: b.values, bShape: bShape,
                                       activation: act.kind, alpha: act.alpha, beta: act.beta)
        let y = makeTensor(shape: ref.shape)
        let op = makeOp(.matMul, inputs: [a, b], outputs: [y], params: ActivationParams(activation: act.fused))
        if buildAndRun(op, inputs: [a, b], outputs: [y], file: file, line: line) {
            assertClose(y.values, ref.values, "A \(aShape) B \(bShape) act \(act.kind)", file: file, line: line)
        }
    }

    /// Random batch shapes that broadcast: each dim of Y's batch is kept, or set to 1 on
    /// one side, and either side may drop leading dims.
    static func randomShapes(_ rng: inout SeededRNG) -> ([Int], [Int]) {
        let batchRank = rng.int(0...3)
        let batch = (0..<batchRank).map { _ in rng.int(1...3) }
        var aBatch = batch, bBatch = batch
        for d in 0..<batchRank {
            switch rng.int(0...3) {
            case 0: aBatch[d] = 1
            case 1: bBatch[d] = 1
            default: break
            }
        }
        aBatch.removeFirst(rng.int(0...batchRank))
        bBatch.removeFirst(rng.int(0...batchRank))
        let m = rng.int(1...9), k = rng.int(1...12), n = rng.int(1...9)
        return (aBatch + [m, k], bBatch + [k, n])
    }

    func testRandomCases() {
        var rng = SeededRNG(seed: 0x3A7)
        for _ in 0..<150 {
            let (aShape, bShape) = MatMulKernelTests.randomShapes(&rng)
            check(aShape: aShape, bShape: bShape, act: TestActivation.random(&rng), &rng)
        }
    }

    func testNamedCases() {
        var rng = SeededRNG(seed: 8)
        let none = TestActivation.none
        check(aShape: [5, 7], bShape: [7, 3], act: none, &rng)                   // plain
        check(aShape: [2, 3, 5, 7], bShape: [7, 4], act: none, &rng)             // folded into one GEMM
        check(aShape: [5, 7], bShape: [2, 3, 7, 4], act: none, &rng)             // B batched, A shared
        check(aShape: [2, 1, 5, 7], bShape: [1, 3, 7, 4], act: none, &rng)       // both broadcast
        check(aShape: [1, 1, 5, 7], bShape: [7, 4], act: none, &rng)             // size-1 batch, folded
        check(aShape: [4, 1, 6], bShape: [4, 6, 1], act: none, &rng)             // vector-like dims
        check(aShape: [3, 2, 8], bShape: [3, 8, 2], act: TestActivation(kind: .relu, alpha: 0, beta: 0), &rng)
    }

    func testEveryActivation() {
        var rng = SeededRNG(seed: 31)
        for act in ActivationKind.allCases {
            var a = TestActivation.random(&rng)
            while a.kind != act { a = TestActivation.random(&rng) }
            let (aShape, bShape) = MatMulKernelTests.randomShapes(&rng)
            check(aShape: aShape, bShape: bShape, act: a, &rng)
        }
    }

    // MARK: - Malformed records

    func testRejectsMalformedRecords() {
        func op(_ a: TestTensor, _ b: TestTensor, _ y: TestTensor, ints: [Int64] = ActivationParams().ints, floats: [Float] = ActivationParams().floats)
            -> OpDescription {
            makeOp(.matMul, name: "bad_matmul", inputs: [a, b], outputs: [y], ints: ints, floats: floats)
        }
        func reject(_ kind: EdgeError.Kind?, _ what: String, _ a: TestTensor, _ b: TestTensor, _ y: TestTensor,
                    ints: [Int64] = ActivationParams().ints, floats: [Float] = ActivationParams().floats) {
            assertRejects(op(a, b, y, ints: ints, floats: floats), inputs: [a, b], outputs: [y], kind: kind, what)
        }
        let a = makeTensor(shape: [2, 3, 4]), b = makeTensor(shape: [4, 5]), y = makeTensor(shape: [2, 3, 5])
        XCTAssertNoThrow(try buildLayer(op(a, b, y), inputs: [a, b], outputs: [y]))
        reject(.format, "no ints", a, b, y, ints: [])
        reject(.format, "2 ints", a, b, y, ints: [0, 0])
        reject(.format, "no floats", a, b, y, floats: [])
        reject(.shape, "inner dims", a, makeTensor(shape: [3, 5]), y)
        reject(.shape, "Y rows", a, b, makeTensor(shape: [2, 4, 5]))
        reject(.shape, "Y rank", a, b, makeTensor(shape: [6, 5]))
        reject(.shape, "rank 1 A", makeTensor(shape: [4]), b, makeTensor(shape: [5]))
        reject(.shape, "batch dims do not broadcast", makeTensor(shape: [2, 3, 4]), makeTensor(shape: [3, 4, 5]),
               makeTensor(shape: [3, 3, 5]))
        reject(.shape, "Y batch differs", makeTensor(shape: [2, 3, 4]), makeTensor(shape: [1, 4, 5]),
               makeTensor(shape: [3, 3, 5]))
        reject(.shape, "absurd A", TestTensor(declaredShape: [1 << 30, 1 << 30, 4]), b,
               TestTensor(declaredShape: [1 << 30, 1 << 30, 5]))
        reject(.shape, "zero dim", TestTensor(declaredShape: [2, 0, 4]), b, TestTensor(declaredShape: [2, 0, 5]))
        assertRejects(makeOp(.matMul, name: "bad_matmul", inputs: [a], outputs: [y], params: ActivationParams()),
                      inputs: [a], outputs: [y], kind: .format, "one input")
    }
}
