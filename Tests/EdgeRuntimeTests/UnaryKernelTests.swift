import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest
@testable import EdgeRuntime

final class UnaryKernelTests: XCTestCase {
    /// (alpha, beta) and an input range where the kind is defined and well-conditioned.
    private func attributes(_ kind: UnaryKind, _ rng: inout SeededRNG) -> (Float, Float, Float, Float) {
        switch kind {
        case .clip: return (-0.5, 0.7, -2, 2)
        case .leakyRelu: return (0.1, 0, -2, 2)
        case .hardSigmoid: return (0.2, 0.5, -4, 4)
        case .hardSwish: return (1.0 / 6, 0.5, -4, 4)
        case .sqrt, .log: return (0, 0, 0.01, 4)
        case .exp: return (0, 0, -8, 8)
        case .reciprocal: return (0, 0, 0.1, 3)
        case .powScalar: return (rng.pick([2, 1, 0.5, -1, 3, 1.5, -0.25]), 0, 0.1, 3)
        case .sigmoid, .swish, .tanh: return (0, 0, -10, 10)
        case .elu: return (1.0, 0, -3, 3)
        case .selu: return (1.6732632, 1.050701, -3, 3)
        case .softplus: return (0, 0, -10, 25)
        default: return (0, 0, -2, 2)
        }
    }

    private func check(_ rng: inout SeededRNG, _ kind: UnaryKind, shape: [Int], inPlace: Bool) {
        let (alpha, beta, lo, hi) = attributes(kind, &rng)
        let xv = rng.floats(shape.reduce(1, *), lo...hi)
        let x = TestTensor(shape: shape, values: xv)
        let y = inPlace ? x : TestTensor(shape: [shape.reduce(1, *)])  // Y may have another shape
        let label = "\(kind) \(shape) alpha \(alpha)\(inPlace ? " in place" : "")"
        do {
            let layer = try UnaryLayer(ewOp(.unary, params: UnaryParams(kind, alpha: alpha, beta: beta)),
                                       inputs: [x.ref], outputs: [y.ref])
            ewRun(layer)
            ewAssertClose(y.values, referenceUnary(kind, xv, alpha: alpha, beta: beta), label)
            XCTAssertTrue(y.guardIntact, "\(label): wrote past Y")
        } catch {
            XCTFail("\(label): \(error)")
        }
    }

    func testEveryKindRandomShapes() {
        var rng = SeededRNG(seed: 0x0A1)
        for kind in UnaryKind.allCases {
            for _ in 0..<8 {
                let shape = rng.ewShape(rank: rng.int(1...4), 1...7)
                check(&rng, kind, shape: shape, inPlace: rng.bool())
            }
            // Longer than one copy-then-activate block, in place and not.
            check(&rng, kind, shape: [3, 1500], inPlace: false)
            check(&rng, kind, shape: [2, 2100], inPlace: true)
        }
    }

    func testMalformedRecords() {
        let x = TestTensor(shape: [2, 3], values: [Float](repeating: 1, count: 6))
        let y = TestTensor(shape: [2, 3])
        ewAssertThrows(.format, "unknown kind") {
            _ = try UnaryLayer(ewOp(.unary, ints: [9], floats: [0, 0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "kind 0 (none) is not a unary kind") {
            _ = try UnaryLayer(ewOp(.unary, ints: [0], floats: [0, 0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "no ints") {
            _ = try UnaryLayer(ewOp(.unary, ints: [], floats: [0, 0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "one float") {
            _ = try UnaryLayer(ewOp(.unary, ints: [1], floats: [0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "absent input") {
            _ = try UnaryLayer(ewOp(.unary, ints: [1], floats: [0, 0]), inputs: [nil], outputs: [y.ref])
        }
        ewAssertThrows(.format, "two outputs") {
            _ = try UnaryLayer(ewOp(.unary, ints: [1], floats: [0, 0]), inputs: [x.ref], outputs: [y.ref, y.ref])
        }
        ewAssertThrows(.shape, "count mismatch") {
            _ = try UnaryLayer(ewOp(.unary, ints: [1], floats: [0, 0]), inputs: [x.ref],
                               outputs: [TensorRef(data: y.data, shape: [5])])
        }
    }
}
