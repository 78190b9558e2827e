import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest
@testable import EdgeRuntime

final class SoftmaxKernelTests: XCTestCase {
    private func check(_ rng: inout SeededRNG, shape: [Int], axis: Int, inPlace: Bool, range: Float = 5) throws {
        let xv = rng.floats(shape.reduce(1, *), -range...range)
        let x = TestTensor(shape: shape, values: xv)
        let y = inPlace ? x : TestTensor(shape: shape)
        let layer = try SoftmaxLayer(ewOp(.softmax, params: AxisParams(axis: Int64(axis))), inputs: [x.ref], outputs: [y.ref])
        ewRun(layer)
        ewAssertClose(y.values, referenceSoftmax(xv, shape: shape, axis: axis),
                      "softmax \(shape) axis \(axis)\(inPlace ? " in place" : "")")
        XCTAssertTrue(y.guardIntact)
    }

    func testRandomAxes() throws {
        var rng = SeededRNG(seed: 0x50F7)
        for _ in 0..<120 {
            let rank = rng.int(1...5)
            let shape = rng.ewShape(rank: rank, 1...7)
            try check(&rng, shape: shape, axis: rng.int(0...rank - 1), inPlace: rng.bool())
        }
        // Classifier-sized last axis, and a channel softmax over NCHW.
        try check(&rng, shape: [2, 1000], axis: 1, inPlace: false)
        try check(&rng, shape: [2, 21, 9, 9], axis: 1, inPlace: true)
    }

    func testLargeLogitsAreStable() throws {
        var rng = SeededRNG(seed: 0x5AFE)
        try check(&rng, shape: [3, 17], axis: 1, inPlace: false, range: 300)
        try check(&rng, shape: [3, 17, 4], axis: 1, inPlace: false, range: 300)
    }

    func testMalformedRecords() {
        let x = TestTensor(shape: [2, 3], values: [Float](repeating: 1, count: 6))
        let y = TestTensor(shape: [2, 3])
        ewAssertThrows(.format, "axis") {
            _ = try SoftmaxLayer(ewOp(.softmax, ints: [2]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "negative axis") {
            _ = try SoftmaxLayer(ewOp(.softmax, ints: [-1]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "no axis") {
            _ = try SoftmaxLayer(ewOp(.softmax, ints: []), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "shape") {
            _ = try SoftmaxLayer(ewOp(.softmax, ints: [1]), inputs: [x.ref], outputs: [TensorRef(data: y.data, shape: [3, 2])])
        }
    }
}
