import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest
@testable import EdgeRuntime

// Concat, Split, Slice, Copy, Transpose, Pad: data movement, so results must be exact.
// One test class per op, so `--filter 'EdgeRuntimeTests.(Concat|...)'` selects them.

final class ConcatKernelTests: XCTestCase {
    func testConcatRandom() throws {
        var rng = SeededRNG(seed: 0xC0CA7)
        for _ in 0..<100 {
            let rank = rng.int(1...5)
            let axis = rng.int(0...rank - 1)
            let base = rng.ewShape(rank: rank, 1...4)
            let n = rng.int(1...5)
            var shapes: [[Int]] = [], values: [[Float]] = []
            for _ in 0..<n {
                var s = base
                s[axis] = rng.int(1...4)
                shapes.append(s)
                values.append(rng.floats(s.reduce(1, *)))
            }
            var outShape = base
            outShape[axis] = shapes.reduce(0) { $0 + $1[axis] }
            let xs = zip(shapes, values).map { TestTensor(shape: $0, values: $1) }
            let y = TestTensor(shape: outShape)
            let layer = try ConcatLayer(ewOp(.concat, params: AxisParams(axis: Int64(axis)), inputs: n),
                                        inputs: xs.map { $0.ref }, outputs: [y.ref])
            ewRun(layer)
            ewAssertClose(y.values, referenceConcat(values, shapes: shapes, axis: axis), tol: 0, "concat \(shapes) axis \(axis)")
            XCTAssertTrue(y.guardIntact)
            XCTAssertEqual(layer.flops, 0)
        }
    }

    func testConcatMalformed() {
        let a = TestTensor(shape: [2, 3], values: [Float](repeating: 1, count: 6))
        let b = TestTensor(shape: [2, 2], values: [Float](repeating: 2, count: 4))
        let y = TestTensor(shape: [2, 5])
        XCTAssertNoThrow(try ConcatLayer(ewOp(.concat, ints: [1], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref]))
        ewAssertThrows(.format, "axis out of range") {
            _ = try ConcatLayer(ewOp(.concat, ints: [2], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "negative axis") {
            _ = try ConcatLayer(ewOp(.concat, ints: [-1], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "no ints") {
            _ = try ConcatLayer(ewOp(.concat, ints: [], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "wrong axis for these shapes") {
            _ = try ConcatLayer(ewOp(.concat, ints: [0], inputs: 2), inputs: [a.ref, b.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "sizes do not add up") {
            _ = try ConcatLayer(ewOp(.concat, ints: [1], inputs: 2), inputs: [a.ref, a.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "rank mismatch") {
            _ = try ConcatLayer(ewOp(.concat, ints: [1], inputs: 2),
                                inputs: [a.ref, TensorRef(data: b.data, shape: [2, 2, 1])], outputs: [y.ref])
        }
        ewAssertThrows(.format, "absent input") {
            _ = try ConcatLayer(ewOp(.concat, ints: [1], inputs: 2), inputs: [a.ref, nil], outputs: [y.ref])
        }
        ewAssertThrows(.format, "no inputs") {
            _ = try ConcatLayer(ewOp(.concat, ints: [1], inputs: 0), inputs: [], outputs: [y.ref])
        }
    }

}

final class SplitKernelTests: XCTestCase {
    func testSplitRandom() throws {
        var rng = SeededRNG(seed: 0x5B117)
        for _ in 0..<100 {
            let rank = rng.int(1...5)
            let axis = rng.int(0...rank - 1)
            var shape = rng.ewShape(rank: rank, 1...4)
            let sizes = (0..<rng.int(1...4)).map { _ in rng.int(1...3) }
            shape[axis] = sizes.reduce(0, +)
            let xv = rng.floats(shape.reduce(1, *))
            let x = TestTensor(shape: shape, values: xv)
            let ys = sizes.map { s -> TestTensor in var o = shape; o[axis] = s; return TestTensor(shape: o) }
            let layer = try SplitLayer(ewOp(.split, params: AxisParams(axis: Int64(axis)), outputs: sizes.count),
                                       inputs: [x.ref], outputs: ys.map { $0.ref })
            ewRun(layer)
            let want = referenceSplit(xv, shape: shape, axis: axis, sizes: sizes)
            for (i, y) in ys.enumerated() {
                ewAssertClose(y.values, want[i], tol: 0, "split \(shape) axis \(axis) part \(i)")
                XCTAssertTrue(y.guardIntact)
            }
        }
    }

    func testSplitMalformed() {
        let x = TestTensor(shape: [2, 5], values: [Float](repeating: 1, count: 10))
        let a = TestTensor(shape: [2, 3]), b = TestTensor(shape: [2, 2])
        XCTAssertNoThrow(try SplitLayer(ewOp(.split, ints: [1], outputs: 2), inputs: [x.ref], outputs: [a.ref, b.ref]))
        ewAssertThrows(.format, "axis") {
            _ = try SplitLayer(ewOp(.split, ints: [5], outputs: 2), inputs: [x.ref], outputs: [a.ref, b.ref])
        }
        ewAssertThrows(.shape, "parts do not add up") {
            _ = try SplitLayer(ewOp(.split, ints: [1], outputs: 2), inputs: [x.ref], outputs: [a.ref, a.ref])
        }
        ewAssertThrows(.shape, "other dim differs") {
            _ = try SplitLayer(ewOp(.split, ints: [1], outputs: 2), inputs: [x.ref],
                               outputs: [a.ref, TensorRef(data: b.data, shape: [1, 2])])
        }
        ewAssertThrows(.format, "no outputs") {
            _ = try SplitLayer(ewOp(.split, ints: [1], outputs: 0), inputs: [x.ref], outputs: [])
        }
        ewAssertThrows(.format, "floats") {
            _ = try SplitLayer(ewOp(.split, ints: [1], floats: [1], outputs: 2), inputs: [x.ref], outputs: [a.ref, b.ref])
        }
    }

}

final class SliceKernelTests: XCTestCase {
    func testSliceRandom() throws {
        var rng = SeededRNG(seed: 0x511CE)
        for _ in 0..<200 {
            let rank = rng.int(1...5)
            let shape = rng.ewShape(rank: rank, 1...6)
            var starts: [Int] = [], steps: [Int] = [], counts: [Int] = []
            for d in 0..<rank {
                let n = shape[d]
                switch rng.int(0...3) {
                case 0:  // whole dim
                    starts.append(0); steps.append(1); counts.append(n)
                case 1:  // forward
                    let step = rng.pick([1, 1, 2, 3, 7])
                    let start = rng.int(0...n - 1)
                    starts.append(start); steps.append(step)
                    counts.append(rng.int(1...(n - 1 - start) / step + 1))
                default:  // backward
                    let step = rng.pick([-1, -1, -2, -3])
                    let start = rng.int(0...n - 1)
                    starts.append(start); steps.append(step)
                    counts.append(rng.int(1...start / -step + 1))
                }
            }
            let xv = rng.floats(shape.reduce(1, *))
            let x = TestTensor(shape: shape, values: xv), y = TestTensor(shape: counts)
            let params = SliceParams(starts: starts.map(Int64.init), steps: steps.map(Int64.init))
            let layer = try SliceLayer(ewOp(.slice, params: params), inputs: [x.ref], outputs: [y.ref])
            ewRun(layer)
            ewAssertClose(y.values, referenceSlice(xv, shape: shape, starts: starts, steps: steps, counts: counts),
                          tol: 0, "slice \(shape) starts \(starts) steps \(steps) counts \(counts)")
            XCTAssertTrue(y.guardIntact)
        }
    }

    func testSliceMalformed() throws {
        let x = TestTensor(shape: [4, 6], values: [Float](repeating: 1, count: 24))
        let y = TestTensor(shape: [2, 3])
        XCTAssertNoThrow(try SliceLayer(ewOp(.slice, ints: [1, 2, 5, -2]), inputs: [x.ref], outputs: [y.ref]))
        let bad: [(String, [Int64])] = [
            ("start past end", [4, 1, 0, 1]),
            ("negative start", [-1, 1, 0, 1]),
            ("last index past end", [3, 1, 0, 1]),
            ("last index before start of dim", [0, -1, 0, 1]),
            ("zero step", [0, 0, 0, 1]),
            ("huge step overflows", [0, Int64.max, 0, 1]),
            ("huge negative step", [3, Int64.min, 0, 1]),
            ("huge start", [Int64.max, 1, 0, 1]),
        ]
        for (label, ints) in bad {
            ewAssertThrows(.shape, label) { _ = try SliceLayer(ewOp(.slice, ints: ints), inputs: [x.ref], outputs: [y.ref]) }
        }
        // A single element per dim: any step is legal, even one whose stride product
        // would overflow.
        let one = TestTensor(shape: [1, 1])
        let x2 = TestTensor(shape: [4, 6], values: (0..<24).map(Float.init))
        ewRun(try SliceLayer(ewOp(.slice, ints: [3, Int64.max, 5, Int64.min]), inputs: [x2.ref], outputs: [one.ref]))
        XCTAssertEqual(one.values, [23])
        ewAssertThrows(.format, "ints count") {
            _ = try SliceLayer(ewOp(.slice, ints: [0, 1]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "rank mismatch") {
            _ = try SliceLayer(ewOp(.slice, ints: [0, 1, 0, 1]), inputs: [x.ref], outputs: [TensorRef(data: y.data, shape: [6])])
        }
    }

}

final class CopyKernelTests: XCTestCase {
    func testCopy() throws {
        var rng = SeededRNG(seed: 0xC09F)
        for shape in [[1], [7], [2, 3, 4], [3, 1000]] {
            let xv = rng.floats(shape.reduce(1, *))
            let x = TestTensor(shape: shape, values: xv), y = TestTensor(shape: [xv.count])
            ewRun(try CopyLayer(ewOp(.copy, params: NoParams()), inputs: [x.ref], outputs: [y.ref]))
            ewAssertClose(y.values, xv, tol: 0, "copy \(shape)")
            XCTAssertTrue(y.guardIntact)
            // Same buffer: nothing to do, nothing broken.
            ewRun(try CopyLayer(ewOp(.copy, params: NoParams()), inputs: [x.ref], outputs: [x.ref]))
            ewAssertClose(x.values, xv, tol: 0, "copy in place \(shape)")
        }
        let x = TestTensor(shape: [6], values: [1, 2, 3, 4, 5, 6])
        ewAssertThrows(.shape, "count") {
            _ = try CopyLayer(ewOp(.copy, ints: []), inputs: [x.ref], outputs: [TensorRef(data: x.data, shape: [5])])
        }
        ewAssertThrows(.format, "ints") {
            _ = try CopyLayer(ewOp(.copy, ints: [1]), inputs: [x.ref], outputs: [x.ref])
        }
        ewAssertThrows(.format, "absent input") {
            _ = try CopyLayer(ewOp(.copy, ints: []), inputs: [nil], outputs: [x.ref])
        }
    }

}

final class TransposeKernelTests: XCTestCase {
    @discardableResult
    private func checkTranspose(_ rng: inout SeededRNG, _ shape: [Int], _ perm: [Int]) throws -> TransposeLayer.Path {
        let xv = rng.floats(shape.reduce(1, *))
        let x = TestTensor(shape: shape, values: xv), y = TestTensor(shape: perm.map { shape[$0] })
        let layer = try TransposeLayer(ewOp(.transpose, params: TransposeParams(perm: perm.map(Int64.init))), inputs: [x.ref], outputs: [y.ref])
        ewRun(layer)
        ewAssertClose(y.values, referenceTranspose(xv, shape: shape, perm: perm), tol: 0, "transpose \(shape) \(perm)")
        XCTAssertTrue(y.guardIntact)
        return layer.path
    }

    func testTransposeRandom() throws {
        var rng = SeededRNG(seed: 0x7A05)
        var tiled = 0, strided = 0
        for _ in 0..<150 {
            let rank = rng.int(1...6)
            let shape = rng.ewShape(rank: rank, rank > 4 ? 1...4 : 1...7)
            let perm = rng.ewShuffled(Array(0..<rank))
            if try checkTranspose(&rng, shape, perm) == .tiled { tiled += 1 } else { strided += 1 }
        }
        XCTAssertGreaterThan(tiled, 10)
        XCTAssertGreaterThan(strided, 10)
    }

    func testTransposeLayouts() throws {
        var rng = SeededRNG(seed: 0x4C)
        XCTAssertEqual(try checkTranspose(&rng, [2, 19, 5, 7], [0, 2, 3, 1]), .tiled)     // NCHW -> NHWC
        XCTAssertEqual(try checkTranspose(&rng, [2, 5, 7, 19], [0, 3, 1, 2]), .tiled)     // NHWC -> NCHW
        XCTAssertEqual(try checkTranspose(&rng, [37, 53], [1, 0]), .tiled)                // tiles with tails
        XCTAssertEqual(try checkTranspose(&rng, [1, 1, 40, 1, 33], [4, 1, 3, 2, 0]), .tiled)
        XCTAssertEqual(try checkTranspose(&rng, [3, 4, 5], [1, 0, 2]), .strided)          // rows move whole
        XCTAssertEqual(try checkTranspose(&rng, [3, 4, 5], [0, 1, 2]), .strided)          // identity
        XCTAssertEqual(try checkTranspose(&rng, [2, 3, 4, 5], [3, 2, 1, 0]), .strided)    // fully reversed
        XCTAssertEqual(try checkTranspose(&rng, [1, 1, 1], [2, 0, 1]), .strided)          // single element
    }

    func testTransposeMalformed() {
        let x = TestTensor(shape: [2, 3, 4], values: [Float](repeating: 1, count: 24))
        let y = TestTensor(shape: [4, 2, 3])
        XCTAssertNoThrow(try TransposeLayer(ewOp(.transpose, ints: [2, 0, 1]), inputs: [x.ref], outputs: [y.ref]))
        ewAssertThrows(.format, "repeated axis") {
            _ = try TransposeLayer(ewOp(.transpose, ints: [2, 0, 0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "axis out of range") {
            _ = try TransposeLayer(ewOp(.transpose, ints: [3, 0, 1]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "negative axis") {
            _ = try TransposeLayer(ewOp(.transpose, ints: [-1, 0, 1]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "short perm") {
            _ = try TransposeLayer(ewOp(.transpose, ints: [1, 0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "output shape") {
            _ = try TransposeLayer(ewOp(.transpose, ints: [2, 1, 0]), inputs: [x.ref], outputs: [y.ref])
        }
    }

}

final class PadKernelTests: XCTestCase {
    func testPadRandom() throws {
        var rng = SeededRNG(seed: 0x9AD)
        for _ in 0..<200 {
            let rank = rng.int(1...5)
            let shape = rng.ewShape(rank: rank, rank > 3 ? 1...4 : 1...6)
            let mode = rng.pick(PadMode.allCases)
            var begins: [Int] = [], ends: [Int] = []
            for d in 0..<rank {
                let limit = mode == .reflect ? max(shape[d] - 1, shape[d] == 1 ? 2 : 0) : 3
                let padded = rng.int(0...2) > 0
                begins.append(padded ? rng.int(0...limit) : 0)
                ends.append(padded ? rng.int(0...limit) : 0)
            }
            let value = rng.float()
            let xv = rng.floats(shape.reduce(1, *))
            let outShape = (0..<rank).map { shape[$0] + begins[$0] + ends[$0] }
            let x = TestTensor(shape: shape, values: xv), y = TestTensor(shape: outShape)
            let params = PadParams(mode: mode, begins: begins.map(Int64.init), ends: ends.map(Int64.init), value: value)
            let layer = try PadLayer(ewOp(.pad, params: params), inputs: [x.ref], outputs: [y.ref])
            ewRun(layer)
            ewAssertClose(y.values, referencePad(xv, shape: shape, mode: mode, begins: begins, ends: ends, value: value),
                          tol: 0, "pad \(mode) \(shape) begins \(begins) ends \(ends)")
            XCTAssertTrue(y.guardIntact)
        }
    }

    func testPadNCHWLayouts() throws {
        var rng = SeededRNG(seed: 0x9AD2)
        let cases: [([Int], [Int], [Int])] = [
            ([2, 3, 5, 6], [0, 0, 1, 2], [0, 0, 2, 1]),  // spatial
            ([2, 3, 5, 6], [0, 2, 0, 0], [0, 1, 0, 0]),  // channels: blocks of H*W
            ([2, 3, 5, 6], [0, 0, 0, 0], [0, 0, 0, 0]),  // nothing
            ([1, 3, 4, 4], [1, 0, 0, 3], [0, 0, 0, 0]),
        ]
        for mode in PadMode.allCases {
            for (shape, begins, ends) in cases {
                let xv = rng.floats(shape.reduce(1, *))
                let outShape = (0..<4).map { shape[$0] + begins[$0] + ends[$0] }
                let x = TestTensor(shape: shape, values: xv), y = TestTensor(shape: outShape)
                let params = PadParams(mode: mode, begins: begins.map(Int64.init), ends: ends.map(Int64.init), value: 0.25)
                ewRun(try PadLayer(ewOp(.pad, params: params), inputs: [x.ref], outputs: [y.ref]))
                ewAssertClose(y.values, referencePad(xv, shape: shape, mode: mode, begins: begins, ends: ends, value: 0.25),
                              tol: 0, "pad \(mode) \(shape) \(begins) \(ends)")
                XCTAssertTrue(y.guardIntact)
            }
        }
    }

    func testPadMalformed() {
        let x = TestTensor(shape: [2, 3], values: [Float](repeating: 1, count: 6))
        let y = TestTensor(shape: [4, 6])
        XCTAssertNoThrow(try PadLayer(ewOp(.pad, ints: [1, 1, 1, 1, 2], floats: [0]), inputs: [x.ref], outputs: [y.ref]))
        ewAssertThrows(.format, "mode") {
            _ = try PadLayer(ewOp(.pad, ints: [3, 1, 1, 1, 2], floats: [0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "negative pad") {
            _ = try PadLayer(ewOp(.pad, ints: [0, 3, 1, -1, 2], floats: [0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "huge pad") {
            _ = try PadLayer(ewOp(.pad, ints: [0, Int64.max, 1, 1, 2], floats: [0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.shape, "output size") {
            _ = try PadLayer(ewOp(.pad, ints: [0, 1, 1, 1, 1], floats: [0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.unsupported, "reflect wider than the dim") {
            _ = try PadLayer(ewOp(.pad, ints: [1, 2, 0, 0, 3], floats: [0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "ints count") {
            _ = try PadLayer(ewOp(.pad, ints: [0, 1, 1], floats: [0]), inputs: [x.ref], outputs: [y.ref])
        }
        ewAssertThrows(.format, "no value") {
            _ = try PadLayer(ewOp(.pad, ints: [0, 1, 1, 1, 2], floats: []), inputs: [x.ref], outputs: [y.ref])
        }
    }
}
