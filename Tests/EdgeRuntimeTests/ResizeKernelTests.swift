import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest
@testable import EdgeRuntime

final class ResizeKernelTests: XCTestCase {
    private func check(_ rng: inout SeededRNG, shape: [Int], outH: Int, outW: Int, scaleH: Float, scaleW: Float,
                       mode: ResizeMode, transform: ResizeCoordinateTransform, nearest: ResizeNearestMode) throws {
        let r = shape.count
        var outShape = shape
        outShape[r - 2] = outH
        outShape[r - 1] = outW
        let xv = rng.floats(shape.reduce(1, *))
        let x = TestTensor(shape: shape, values: xv), y = TestTensor(shape: outShape)
        let op = ewOp(.resize, params: ResizeParams(mode: mode, transform: transform, nearest: nearest, scaleH: scaleH, scaleW: scaleW))
        let layer = try ResizeLayer(op, inputs: [x.ref], outputs: [y.ref])
        ewRun(layer)
        let want = referenceResize(xv, shape: shape, outH: outH, outW: outW, mode: mode, transform: transform,
                                   nearest: nearest, scaleH: scaleH, scaleW: scaleW)
        ewAssertClose(y.values, want, tol: mode == .nearest ? 0 : 1e-5,
                      "resize \(mode) \(transform) \(nearest) \(shape) -> \(outH)x\(outW) scales \(scaleH) \(scaleW)")
        XCTAssertTrue(y.guardIntact)
    }

    func testEveryModeRandomSizes() throws {
        var rng = SeededRNG(seed: 0x2E512E)
        for mode in ResizeMode.allCases {
            for transform in ResizeCoordinateTransform.allCases {
                for nearest in (mode == .nearest ? ResizeNearestMode.allCases : [.roundPreferFloor]) {
                    for _ in 0..<12 {
                        let rank = rng.int(2...4)
                        var shape = rng.ewShape(rank: rank, 1...3)
                        shape[rank - 2] = rng.int(1...9)
                        shape[rank - 1] = rng.int(1...9)
                        let inH = shape[rank - 2], inW = shape[rank - 1]
                        var outH: Int, outW: Int, scaleH: Float, scaleW: Float
                        if rng.bool() {
                            // Given scales: output = floor(input * scale).
                            scaleH = rng.pick([0.5, 2, 3, 1.5, 0.75, 1.25, 4, 0.34, 1])
                            scaleW = rng.pick([0.5, 2, 3, 1.5, 0.75, 1.25, 4, 0.34, 1])
                            outH = max(1, Int(Float(inH) * scaleH))
                            outW = max(1, Int(Float(inW) * scaleW))
                        } else {
                            // Given sizes: scale = output / input.
                            outH = rng.int(1...13)
                            outW = rng.int(1...13)
                            scaleH = Float(outH) / Float(inH)
                            scaleW = Float(outW) / Float(inW)
                        }
                        try check(&rng, shape: shape, outH: outH, outW: outW, scaleH: scaleH, scaleW: scaleW,
                                  mode: mode, transform: transform, nearest: nearest)
                    }
                }
            }
        }
    }

    func testKnownValues() throws {
        // 2x nearest upsampling (asymmetric, floor): each pixel becomes a 2x2 block.
        let x = TestTensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
        let y = TestTensor(shape: [1, 1, 4, 4])
        ewRun(try ResizeLayer(ewOp(.resize, params: ResizeParams(mode: .nearest, transform: .asymmetric, nearest: .floor, scaleH: 2, scaleW: 2)), inputs: [x.ref], outputs: [y.ref]))
        XCTAssertEqual(y.values, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        // Bilinear half_pixel 2x on one row: [1, 2] -> [1, 1.25, 1.75, 2] (numpy/ORT values).
        let r = TestTensor(shape: [1, 2], values: [1, 2]), ry = TestTensor(shape: [1, 4])
        ewRun(try ResizeLayer(ewOp(.resize, params: ResizeParams(mode: .linear, transform: .halfPixel, nearest: .roundPreferFloor, scaleH: 1, scaleW: 2)), inputs: [r.ref], outputs: [ry.ref]))
        XCTAssertEqual(ry.values, [1, 1.25, 1.75, 2])
        // align_corners: [1, 2] -> [1, 4/3, 5/3, 2].
        ewRun(try ResizeLayer(ewOp(.resize, params: ResizeParams(mode: .linear, transform: .alignCorners, nearest: .roundPreferFloor, scaleH: 1, scaleW: 2)), inputs: [r.ref], outputs: [ry.ref]))
        ewAssertClose(ry.values, [1, 4.0 / 3, 5.0 / 3, 2], "align corners")
    }

    func testTinyScaleDoesNotTrap() throws {
        // A legal but absurd scale sends coordinates to infinity: clamped, no trap.
        var rng = SeededRNG(seed: 7)
        for mode in ResizeMode.allCases {
            try check(&rng, shape: [1, 1, 3, 3], outH: 2, outW: 2, scaleH: 1e-38, scaleW: Float.leastNonzeroMagnitude,
                      mode: mode, transform: .asymmetric, nearest: .ceil)
        }
    }

    func testMalformedRecords() {
        let x = TestTensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
        let y = TestTensor(shape: [1, 1, 4, 4])
        func make(_ ints: [Int64], _ floats: [Float], _ outShape: [Int] = [1, 1, 4, 4]) throws {
            _ = try ResizeLayer(ewOp(.resize, ints: ints, floats: floats), inputs: [x.ref],
                                outputs: [TensorRef(data: y.data, shape: outShape)])
        }
        XCTAssertNoThrow(try make([1, 0, 0], [2, 2]))
        ewAssertThrows(.format, "mode") { try make([2, 0, 0], [2, 2]) }
        ewAssertThrows(.format, "transform") { try make([1, 4, 0], [2, 2]) }
        ewAssertThrows(.format, "nearest mode") { try make([0, 0, 4], [2, 2]) }
        ewAssertThrows(.format, "zero scale") { try make([1, 0, 0], [0, 2]) }
        ewAssertThrows(.format, "negative scale") { try make([1, 0, 0], [2, -2]) }
        ewAssertThrows(.format, "NaN scale") { try make([1, 0, 0], [.nan, 2]) }
        ewAssertThrows(.format, "infinite scale") { try make([1, 0, 0], [2, .infinity]) }
        ewAssertThrows(.format, "one scale") { try make([1, 0, 0], [2]) }
        ewAssertThrows(.format, "ints") { try make([1, 0], [2, 2]) }
        ewAssertThrows(.shape, "batch dims differ") { try make([1, 0, 0], [2, 2], [1, 2, 4, 4]) }
        ewAssertThrows(.shape, "rank differs") { try make([1, 0, 0], [2, 2], [1, 4, 4]) }
        ewAssertThrows(.shape, "rank 1") {
            _ = try ResizeLayer(ewOp(.resize, ints: [1, 0, 0], floats: [2, 2]),
                                inputs: [TensorRef(data: x.data, shape: [4])], outputs: [TensorRef(data: y.data, shape: [8])])
        }
    }
}
