import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest
@testable import EdgeRuntime

final class LRNKernelTests: XCTestCase {
    func testRandom() throws {
        var rng = SeededRNG(seed: 0x124)
        for i in 0..<80 {
            let rank = rng.int(2...4)
            var shape = rng.ewShape(rank: rank, 1...5)
            shape[1] = rng.int(1...9)
            let size = rng.pick([1, 2, 3, 4, 5, 7, 11])
            let alpha = rng.pick([Float(1e-4), 1e-3, 0.5, 2]), beta = rng.pick([Float(0.75), 0.5, 1, 0.2])
            let bias = rng.pick([Float(1), 2, 0.5])
            let xv = rng.floats(shape.reduce(1, *), -3...3)
            let x = TestTensor(shape: shape, values: xv)
            let inPlace = i % 3 == 0
            let y = inPlace ? x : TestTensor(shape: shape)
            let layer = try LRNLayer(ewOp(.lrn, params: LRNParams(size: Int64(size), alpha: alpha, beta: beta, bias: bias)),
                                     inputs: [x.ref], outputs: [y.ref])
            ewRun(layer)
            ewAssertClose(y.values, referenceLRN(xv, shape: shape, size: size, alpha: alpha, beta: beta, bias: bias),
                          "lrn \(shape) size \(size) alpha \(alpha) beta \(beta) bias \(bias)\(inPlace ? " in place" : "")")
            XCTAssertTrue(y.guardIntact)
        }
    }

    func testMalformedRecords() {
        let x = TestTensor(shape: [1, 3, 2, 2], values: [Float](repeating: 1, count: 12))
        let y = TestTensor(shape: [1, 3, 2, 2])
        ewAssertThrows(.format, "size 0") {
            _ = try LRNLayer(ewOp(.lrn, ints: [0], floats: [1e-4, 0.75, 1]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "floats") {
            _ = try LRNLayer(ewOp(.lrn, ints: [5], floats: [1e-4, 0.75]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "NaN alpha") {
            _ = try LRNLayer(ewOp(.lrn, ints: [5], floats: [.nan, 0.75, 1]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "shape") {
            _ = try LRNLayer(ewOp(.lrn, ints: [5], floats: [1e-4, 0.75, 1]), inputs: [x.ref],
                             outputs: [TensorRef(data: y.data, shape: [1, 3, 4])])
        }
        ewAssertThrows(.shape, "rank 1") {
            _ = try LRNLayer(ewOp(.lrn, ints: [5], floats: [1e-4, 0.75, 1]), inputs: [TensorRef(data: x.data, shape: [12])],
                             outputs: [TensorRef(data: y.data, shape: [12])])
        }
    }
}
