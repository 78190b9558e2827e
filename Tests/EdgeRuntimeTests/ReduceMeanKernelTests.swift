import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest
@testable import EdgeRuntime

final class ReduceMeanKernelTests: XCTestCase {
    private func check(_ rng: inout SeededRNG, shape: [Int], axes: [Int], keepDims: Bool) throws {
        let xv = rng.floats(shape.reduce(1, *))
        let want = referenceReduceMean(xv, shape: shape, axes: axes, keepDims: keepDims)
        let x = TestTensor(shape: shape, values: xv), y = TestTensor(shape: want.shape)
        let layer = try ReduceMeanLayer(ewOp(.reduceMean, params: ReduceMeanParams(axes: axes.map(Int64.init))), inputs: [x.ref], outputs: [y.ref])
        ewRun(layer)
        ewAssertClose(y.values, want.values, "reduceMean \(shape) axes \(axes) keepDims \(keepDims)")
        XCTAssertTrue(y.guardIntact)
    }

    func testRandomAxes() throws {
        var rng = SeededRNG(seed: 0x2ED)
        for _ in 0..<150 {
            let rank = rng.int(1...5)
            let shape = rng.ewShape(rank: rank, 1...6)
            var axes = (0..<rank).filter { _ in rng.bool() }
            if axes.isEmpty { axes = [rng.int(0...rank - 1)] }
            try check(&rng, shape: shape, axes: axes, keepDims: rng.bool())
        }
    }

    func testCommonLayouts() throws {
        var rng = SeededRNG(seed: 0x2ED2)
        try check(&rng, shape: [2, 16, 7, 7], axes: [2, 3], keepDims: true)    // global average pool
        try check(&rng, shape: [2, 16, 7, 7], axes: [2, 3], keepDims: false)
        try check(&rng, shape: [3, 50, 64], axes: [2], keepDims: true)         // layer-norm style
        try check(&rng, shape: [40, 33], axes: [0], keepDims: false)           // outer axis
        try check(&rng, shape: [4, 5, 6], axes: [0, 1, 2], keepDims: false)    // everything
        try check(&rng, shape: [4, 1, 6], axes: [1], keepDims: true)           // a size-1 axis: a copy
        try check(&rng, shape: [1, 1], axes: [0, 1], keepDims: false)
        try check(&rng, shape: [3, 1000], axes: [1], keepDims: false)
    }

    func testMalformedRecords() {
        let x = TestTensor(shape: [2, 3, 4], values: [Float](repeating: 1, count: 24))
        let y = TestTensor(shape: [2, 1, 4])
        XCTAssertNoThrow(try ReduceMeanLayer(ewOp(.reduceMean, ints: [1]), inputs: [x.ref], outputs: [y.ref]))
        XCTAssertNoThrow(try ReduceMeanLayer(ewOp(.reduceMean, ints: [1]), inputs: [x.ref],
                                             outputs: [TensorRef(data: y.data, shape: [2, 4])]))
        ewAssertThrows(.format, "no axes") {
            _ = try ReduceMeanLayer(ewOp(.reduceMean, ints: []), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "axis out of range") {
            _ = try ReduceMeanLayer(ewOp(.reduceMean, ints: [3]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "not ascending") {
            _ = try ReduceMeanLayer(ewOp(.reduceMean, ints: [2, 1]), inputs: [x.ref],
                                    outputs: [TensorRef(data: y.data, shape: [2, 1, 1])])
        }
        ewAssertThrows(.format, "repeated") {
            _ = try ReduceMeanLayer(ewOp(.reduceMean, ints: [1, 1]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "negative") {
            _ = try ReduceMeanLayer(ewOp(.reduceMean, ints: [-1]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "wrong output") {
            _ = try ReduceMeanLayer(ewOp(.reduceMean, ints: [1]), inputs: [x.ref],
                                    outputs: [TensorRef(data: y.data, shape: [2, 3, 1])])
        }
        ewAssertThrows(.format, "floats") {
            _ = try ReduceMeanLayer(ewOp(.reduceMean, ints: [1], floats: [1]), inputs: [x.ref], outputs: [y.ref])
        }
    }
}
