import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest
@testable import EdgeRuntime

final class BinaryKernelTests: XCTestCase {
    /// Operand values each kind is well-conditioned on (no division by ~0, positive
    /// bases for Pow).
    private func values(_ rng: inout SeededRNG, _ kind: BinaryKind, _ n: Int, operand: Int) -> [Float] {
        switch (kind, operand) {
        case (.div, 1):
            return (0..<n).map { _ in (rng.bool() ? 1 : -1) * rng.float(0.5...2) }
        case (.pow, 0):
            return rng.floats(n, 0.25...2)
        case (.pow, 1):
            return rng.floats(n, -2...2)
        default:
            return rng.floats(n, -2...2)
        }
    }

    /// Builds, runs and checks one case; returns the path the layer chose.
    @discardableResult
    private func check(_ rng: inout SeededRNG, kind: BinaryKind, a aShape: [Int], b bShape: [Int],
                       inPlace: Bool = false, file: StaticString = #filePath, line: UInt = #line) -> BinaryLayer.Path? {
        let outShape = referenceBroadcastShape(aShape, bShape)!
        let act = TestActivation.random(&rng)
        let av = values(&rng, kind, aShape.reduce(1, *), operand: 0)
        let bv = values(&rng, kind, bShape.reduce(1, *), operand: 1)
        let a = TestTensor(shape: aShape, values: av), b = TestTensor(shape: bShape, values: bv)
        let y = inPlace ? a : TestTensor(shape: outShape)
        let op = ewOp(.binary, params: BinaryParams(kind, activation: FusedActivation(act.kind, alpha: act.alpha, beta: act.beta)), inputs: 2)
        let label = "\(kind) \(aShape) \(bShape) \(act.kind)\(inPlace ? " in place" : "")"
        do {
            let layer = try BinaryLayer(op, inputs: [a.ref, b.ref], outputs: [y.ref])
            ewRun(layer)
            let want = referenceActivation(act.kind, referenceBinary(kind, av, aShape, bv, bShape),
                                           alpha: act.alpha, beta: act.beta)
            ewAssertClose(y.values, want, label, file: file, line: line)
            XCTAssertTrue(y.guardIntact, "\(label): wrote past Y", file: file, line: line)
            XCTAssertEqual(layer.flops, y.count)
            return layer.path
        } catch {
            XCTFail("\(label): \(error.message)", file: file, line: line)
            return nil
        }
    }

    func testRandomBroadcasts() {
        var rng = SeededRNG(seed: 0xB1A7)
        var paths: [BinaryLayer.Path: Int] = [:]
        for _ in 0..<150 {
            let rank = rng.int(1...6)
            let out = rng.ewShape(rank: rank, rank > 4 ? 1...3 : 1...6)
            // Each operand keeps or broadcasts each dim, and may drop leading dims.
            var a = out.map { rng.int(0...2) == 0 ? 1 : $0 }
            var b = out.map { rng.int(0...2) == 0 ? 1 : $0 }
            for i in 0..<rank where a[i] == 1 && b[i] == 1 { if rng.bool() { a[i] = out[i] } else { b[i] = out[i] } }
            if a.count > 1, a[0] == 1, rng.bool() { a.removeFirst() }
            if b.count > 1, b[0] == 1, rng.bool() { b.removeFirst() }
            if let p = check(&rng, kind: rng.pick(BinaryKind.allCases), a: a, b: b) { paths[p, default: 0] += 1 }
        }
        XCTAssertGreaterThan(paths[.general, default: 0], 10)
        XCTAssertGreaterThan(paths[.vectorA, default: 0] + paths[.vectorB, default: 0], 5)
    }

    func testEveryPathAndKind() {
        var rng = SeededRNG(seed: 0xFA57)
        let cases: [([Int], [Int], BinaryLayer.Path)] = [
            ([2, 3, 4, 5], [2, 3, 4, 5], .sameShape),
            ([7], [7], .sameShape),
            ([1], [1], .sameShape),
            ([1, 1, 1], [1], .sameShape),
            ([2, 3, 4, 5], [1], .scalarB),
            ([2, 3, 4, 5], [1, 1, 1, 1], .scalarB),
            ([], [3, 4], .scalarA),
            ([1], [6, 5], .scalarA),
            ([2, 8, 4, 5], [1, 8, 1, 1], .vectorB),
            ([2, 8, 4, 5], [8, 1, 1], .vectorB),
            ([1, 8, 1, 1], [2, 8, 4, 5], .vectorA),
            ([8, 1, 1], [1, 8, 3, 3], .vectorA),
            ([5, 9], [9], .vectorB),           // bias row: inner == 1
            ([9], [5, 9], .vectorA),
            ([5, 9], [5, 1], .vectorB),        // column: outer == 1
            ([2, 3, 4], [2, 3, 1], .vectorB),  // [6, 4] op [6, 1]
            ([4, 1], [1, 5], .general),        // outer product
            ([2, 3, 4, 5], [2, 1, 4, 1], .general),
            ([3, 1, 5], [1, 4, 5], .general),
            ([2, 1, 3, 1, 2, 2], [1, 2, 1, 3, 2, 1], .general),
        ]
        for kind in BinaryKind.allCases {
            for (a, b, path) in cases {
                XCTAssertEqual(check(&rng, kind: kind, a: a, b: b), path, "\(kind) \(a) \(b)")
            }
        }
    }

    func testLargeBlocks() {
        // Longer than one activation block, with a tail.
        var rng = SeededRNG(seed: 0x1A26E)
        XCTAssertEqual(check(&rng, kind: .add, a: [3, 1000], b: [3, 1000]), .sameShape)
        XCTAssertEqual(check(&rng, kind: .sub, a: [1], b: [4100]), .scalarA)
        XCTAssertEqual(check(&rng, kind: .mul, a: [2, 4, 33, 33], b: [1, 4, 1, 1]), .vectorB)
    }

    func testInPlaceOnFullOperand() {
        var rng = SeededRNG(seed: 0x1F)
        for kind in BinaryKind.allCases {
            check(&rng, kind: kind, a: [2, 3, 4], b: [2, 3, 4], inPlace: true)
            check(&rng, kind: kind, a: [2, 3, 4], b: [1], inPlace: true)
            check(&rng, kind: kind, a: [2, 3, 4], b: [3, 1], inPlace: true)
            check(&rng, kind: kind, a: [2, 3, 4], b: [2, 1, 4], inPlace: true)
        }
    }

    func testNaNPropagatesThroughMaxMin() throws {
        for kind in [BinaryKind.max, .min] {
            let a = TestTensor(shape: [4], values: [.nan, 1, 2, .nan])
            let b = TestTensor(shape: [4], values: [1, .nan, 3, .nan])
            let y = TestTensor(shape: [4])
            let layer = try BinaryLayer(ewOp(.binary, params: BinaryParams(kind), inputs: 2),
                                        inputs: [a.ref, b.ref], outputs: [y.ref])
            ewRun(layer)
            XCTAssertTrue(y.values[0].isNaN && y.values[1].isNaN && y.values[3].isNaN, "\(kind)")
            XCTAssertEqual(y.values[2], kind == .max ? 3 : 2)
        }
    }

    func testMalformedRecords() {
        let a = TestTensor(shape: [2, 3], values: [Float](repeating: 1, count: 6))
        let b = TestTensor(shape: [3], values: [1, 2, 3])
        let y = TestTensor(shape: [2, 3])
        let good = ewOp(.binary, params: BinaryParams(.add), inputs: 2)
        XCTAssertNoThrow(try BinaryLayer(good, inputs: [a.ref, b.ref], outputs: [y.ref]))
        ewAssertThrows(.format, "short ints") {
            _ = try BinaryLayer(ewOp(.binary, ints: [0], floats: [0, 0], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "extra ints") {
            _ = try BinaryLayer(ewOp(.binary, ints: [0, 0, 0], floats: [0, 0], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "floats") {
            _ = try BinaryLayer(ewOp(.binary, ints: [0, 0], floats: [0], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "kind") {
            _ = try BinaryLayer(ewOp(.binary, ints: [0, 99], floats: [0, 0], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "activation") {
            _ = try BinaryLayer(ewOp(.binary, ints: [99, 0], floats: [0, 0], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "absent input") {
            _ = try BinaryLayer(good, inputs: [a.ref, nil], outputs: [y.ref])
        }
        ewAssertThrows(.format, "one input") { _ = try BinaryLayer(good, inputs: [a.ref], outputs: [y.ref]) }
        ewAssertThrows(.format, "no output") { _ = try BinaryLayer(good, inputs: [a.ref, b.ref], outputs: []) }
        ewAssertThrows(.shape, "not broadcastable") {
            _ = try BinaryLayer(good, inputs: [a.ref, TensorRef(data: b.data, shape: [2])], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "wrong output") {
            _ = try BinaryLayer(good, inputs: [a.ref, b.ref], outputs: [TensorRef(data: y.data, shape: [3, 3])])
        }
        ewAssertThrows(.shape, "output smaller than broadcast") {
            _ = try BinaryLayer(good, inputs: [a.ref, b.ref], outputs: [TensorRef(data: y.data, shape: [3])])
        }
        ewAssertThrows(.shape, "output larger than broadcast") {
            _ = try BinaryLayer(good, inputs: [a.ref, b.ref], outputs: [TensorRef(data: y.data, shape: [2, 2, 3])])
        }
        ewAssertThrows(.shape, "zero dim") {
            _ = try BinaryLayer(good, inputs: [TensorRef(data: a.data, shape: [0, 3]), b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.unsupported, "rank 9") {
            let s = [Int](repeating: 1, count: 9)
            _ = try BinaryLayer(good, inputs: [TensorRef(data: a.data, shape: s), b.ref],
                                outputs: [TensorRef(data: y.data, shape: s)])
        }
    }
}

