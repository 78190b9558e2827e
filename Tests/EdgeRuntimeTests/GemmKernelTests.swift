import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// GemmLayer against the ONNX Gemm reference. Each random ONNX Gemm (alpha, beta, transA,
/// transB, every C broadcast) is first lowered the way the compiler must lower it — B
/// packed as [N, K] with alpha folded in, C scaled by beta — so the test also pins down
/// that contract.
final class GemmKernelTests: XCTestCase {
    enum BiasShape: CaseIterable { case none, scalar, scalar1, row, row2, column, full }

    struct Case: CustomStringConvertible {
        var m = 1, n = 1, k = 1
        var transA = false, transB = false
        var alpha: Float = 1, beta: Float = 1
        var bias = BiasShape.none
        var act = TestActivation.none

        var description: String {
            "M\(m) N\(n) K\(k) transA \(transA) transB \(transB) alpha \(alpha) beta \(beta) C \(bias) act \(act.kind)"
        }

        var cShape: [Int] {
            switch bias {
            case .none, .scalar: return []
            case .scalar1: return [1]
            case .row: return [n]
            case .row2: return [1, n]
            case .column: return [m, 1]
            case .full: return [m, n]
            }
        }
    }

    static func randomCase(_ rng: inout SeededRNG) -> Case {
        var t = Case()
        t.m = rng.pick([1, 1, 2, 3, 7, 16, 33])
        t.n = rng.int(1...24)
        t.k = rng.int(1...40)
        t.transA = rng.bool()
        t.transB = rng.bool()
        t.alpha = rng.bool() ? 1 : rng.float(-2...2)
        t.beta = rng.bool() ? 1 : rng.float(-2...2)
        t.bias = rng.pick(BiasShape.allCases)
        t.act = TestActivation.random(&rng)
        return t
    }

    func check(_ t: Case, _ rng: inout SeededRNG, file: StaticString = #filePath, line: UInt = #line) {
        let aShape = t.transA ? [t.k, t.m] : [t.m, t.k]
        let bShape = t.transB ? [t.n, t.k] : [t.k, t.n]
        let a = makeRandomTensor(shape: aShape, rng: &rng)
        let bOnnx = rng.floats(t.n * t.k)
        let cOnnx: [Float]? = t.bias == .none ? nil : rng.floats(t.cShape.reduce(1, *))
        let ref = GemmReference.gemm(a: a.values, aShape: aShape, b: bOnnx, bShape: bShape, c: cOnnx, cShape: t.cShape,
                                     alpha: t.alpha, beta: t.beta, transA: t.transA, transB: t.transB,
                                     activation: t.act.kind, actAlpha: t.act.alpha, actBeta: t.act.beta)

        // Lowering: B -> alpha * B as [N, K]; C -> beta * C.
        var packed = [Float](repeating: 0, count: t.n * t.k)
        for j in 0..<t.n {
            for p in 0..<t.k {
                packed[j * t.k + p] = t.alpha * (t.transB ? bOnnx[j * t.k + p] : bOnnx[p * t.n + j])
            }
        }
        let b = makeTensor(shape: [t.n, t.k], values: packed)
        b.isConstant = rng.int(0...3) > 0
        let c = cOnnx.map { makeTensor(shape: t.cShape, values: $0.map { t.beta * $0 }) }
        let y = makeTensor(shape: [t.m, t.n])
        let op = makeOp(.gemm, inputs: [a, b, c], outputs: [y],
                        params: GemmParams(activation: t.act.fused, transA: t.transA))
        if buildAndRun(op, inputs: [a, b, c], outputs: [y], file: file, line: line) {
            assertClose(y.values, ref.values, "\(t)", file: file, line: line)
        }
    }

    func testRandomCases() {
        var rng = SeededRNG(seed: 0x6E33)
        for _ in 0..<150 { check(GemmKernelTests.randomCase(&rng), &rng) }
    }

    func testEveryBiasShapeAndActivation() {
        var rng = SeededRNG(seed: 21)
        for bias in BiasShape.allCases {
            for act in ActivationKind.allCases {
                var t = GemmKernelTests.randomCase(&rng)
                t.bias = bias
                var a = TestActivation.random(&rng)
                while a.kind != act { a = TestActivation.random(&rng) }
                t.act = a
                check(t, &rng)
            }
        }
    }

    /// A classifier head: [1, 512] x [1000, 512]^T + bias.
    func testClassifierHead() {
        var rng = SeededRNG(seed: 1000)
        check(Case(m: 1, n: 1000, k: 512, transA: false, transB: true, alpha: 1, beta: 1, bias: .row), &rng)
    }

    // MARK: - Malformed records

    struct Valid {
        var a = makeTensor(shape: [3, 5], values: [Float](repeating: 1, count: 15))
        var b = makeTensor(shape: [4, 5], values: [Float](repeating: 1, count: 20))
        var c: TestTensor? = makeTensor(shape: [4], values: [Float](repeating: 0, count: 4))
        var y = makeTensor(shape: [3, 4])
        var record = TestRecord(GemmParams())
        var ints: [Int64] { record.ints }
        var floats: [Float] { record.floats }

        var op: OpDescription { makeOp(.gemm, name: "bad_gemm", inputs: [a, b, c], outputs: [y], ints: ints, floats: floats) }
        var inputs: [TestTensor?] { [a, b, c] }
    }

    func testValidBaselineBuilds() {
        let v = Valid()
        XCTAssertTrue(buildAndRun(v.op, inputs: v.inputs, outputs: [v.y]))
        XCTAssertEqual(v.y.values, [Float](repeating: 5, count: 12))
    }

    func testRejectsMalformedRecords() {
        func reject(_ kind: EdgeError.Kind?, _ what: String, _ edit: (inout Valid) -> Void) {
            var v = Valid()
            edit(&v)
            assertRejects(v.op, inputs: v.inputs, outputs: [v.y], kind: kind, what)
        }
        reject(.format, "1 int") { $0.record.ints = [0] }
        reject(.format, "3 ints") { $0.record.ints = [0, 0, 1] }
        reject(.format, "no floats") { $0.record.floats = [] }
        reject(.format, "transA 2") { $0.record.ints[1] = 2 }
        reject(.format, "unknown activation") { $0.record.ints[0] = 42 }
        reject(.shape, "B not packed [N, K]") { $0.b = makeTensor(shape: [5, 4]) }
        reject(.shape, "transA with untransposed A") { $0.record.params.transA = true }
        reject(.shape, "C count") { $0.c = makeTensor(shape: [3]) }
        reject(.shape, "C count 5") { $0.c = makeTensor(shape: [5]) }
        reject(.shape, "Y shape") { $0.y = makeTensor(shape: [4, 3]) }
        reject(.shape, "A rank 3") { $0.a = makeTensor(shape: [1, 3, 5]) }
        reject(.shape, "absurd A") { $0.a = TestTensor(declaredShape: [1 << 40, 1 << 30]) }
        reject(.shape, "empty B") { $0.b = TestTensor(declaredShape: [0, 5]) }
        let v = Valid()
        assertRejects(makeOp(.gemm, name: "bad_gemm", inputs: [v.a], outputs: [v.y], ints: v.ints, floats: v.floats),
                      inputs: [v.a], outputs: [v.y], kind: .format, "missing B")
    }
}
