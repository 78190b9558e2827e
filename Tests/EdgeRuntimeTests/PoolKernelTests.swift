import CEdgeSupport
import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// MaxPool, AveragePool (both count_include_pad modes) and the global pools against
/// `PoolReference`: kernel sizes, strides, dilations (MaxPool), asymmetric pads, ceil
/// mode resolved into Y's shape the way the compiler does it.
final class PoolKernelTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var n = 1, c = 1, h = 1, w = 1
        var kernel = [1, 1], strides = [1, 1], dilations = [1, 1], pads = [0, 0, 0, 0]
        var ceilMode = false
        var countIncludePad = false

        var description: String {
            "N\(n) C\(c) \(h)x\(w) k\(kernel) s\(strides) d\(dilations) p\(pads) ceil \(ceilMode) "
                + "includePad \(countIncludePad)"
        }
    }

    static func randomCase(_ rng: inout SeededRNG, dilated: Bool) -> Case {
        var t = Case()
        t.n = rng.int(1...2)
        t.c = rng.int(1...3)
        t.kernel = [rng.int(1...4), rng.int(1...4)]
        t.strides = [rng.int(1...3), rng.int(1...3)]
        if dilated { t.dilations = [rng.pick([1, 1, 2, 3]), rng.pick([1, 2])] }
        // Pads smaller than the kernel (onnxruntime's rule).
        t.pads = [rng.int(0...(t.kernel[0] - 1)), rng.int(0...(t.kernel[1] - 1)),
                  rng.int(0...(t.kernel[0] - 1)), rng.int(0...(t.kernel[1] - 1))]
        t.ceilMode = rng.bool()
        t.countIncludePad = rng.bool()
        for axis in 0..<2 {
            let span = (t.kernel[axis] - 1) * t.dilations[axis] + 1
            let size = Swift.max(1, span - t.pads[axis] - t.pads[axis + 2] + rng.int(0...8))
            if axis == 0 { t.h = size } else { t.w = size }
        }
        return t
    }

    func checkMax(_ t: Case, _ rng: inout SeededRNG, file: StaticString = #filePath, line: UInt = #line) {
        let x = makeRandomTensor(shape: [t.n, t.c, t.h, t.w], rng: &rng)
        let ref = PoolReference.maxPool(x: x.values, xShape: x.shape, kernel: t.kernel, strides: t.strides,
                                        dilations: t.dilations, pads: t.pads, ceilMode: t.ceilMode)
        let y = makeTensor(shape: ref.shape)
        let window = Window2D(kernel: t.kernel, strides: t.strides, dilations: t.dilations, pads: t.pads)
        let op = makeOp(.maxPool, inputs: [x], outputs: [y], params: MaxPoolParams(window: window))
        if buildAndRun(op, inputs: [x], outputs: [y], file: file, line: line) {
            assertClose(y.values, ref.values, "max \(t)", file: file, line: line)
        }
    }

    func checkAverage(_ t: Case, _ rng: inout SeededRNG, file: StaticString = #filePath, line: UInt = #line) {
        let x = makeRandomTensor(shape: [t.n, t.c, t.h, t.w], rng: &rng)
        let ref = PoolReference.averagePool(x: x.values, xShape: x.shape, kernel: t.kernel, strides: t.strides,
                                            pads: t.pads, ceilMode: t.ceilMode, countIncludePad: t.countIncludePad)
        let y = makeTensor(shape: ref.shape)
        let window = Window2D(kernel: t.kernel, strides: t.strides, dilations: [1, 1], pads: t.pads)
        let op = makeOp(.averagePool, inputs: [x], outputs: [y],
                        params: AveragePoolParams(window: window, countIncludePad: t.countIncludePad))
        if buildAndRun(op, inputs: [x], outputs: [y], file: file, line: line) {
            assertClose(y.values, ref.values, "avg \(t)", file: file, line: line)
        }
    }

    func testMaxPoolRandom() {
        var rng = SeededRNG(seed: 0x3A8)
        for i in 0..<150 { checkMax(PoolKernelTests.randomCase(&rng, dilated: i % 2 == 1), &rng) }
    }

    func testAveragePoolRandom() {
        var rng = SeededRNG(seed: 0xA76)
        for _ in 0..<150 { checkAverage(PoolKernelTests.randomCase(&rng, dilated: false), &rng) }
    }

    /// A random pool for the row-buffer paths: W window `kernelW` at `strideW` (no
    /// dilation), any H window (kernel, stride, dilation), pads, ceil mode, `widths` wide.
    static func rowBufferCase(_ rng: inout SeededRNG, kernelW: Int, strideW: Int, kernelH: ClosedRange<Int>,
                              widths: ClosedRange<Int>) -> Case {
        var t = Case()
        t.n = rng.int(1...2)
        t.c = rng.int(1...3)
        t.kernel = [rng.int(kernelH), kernelW]
        t.strides = [rng.int(1...3), strideW]
        t.dilations = [rng.pick([1, 1, 2]), 1]
        t.pads = [rng.int(0...(t.kernel[0] - 1)), rng.int(0...(t.kernel[1] - 1)),
                  rng.int(0...(t.kernel[0] - 1)), rng.int(0...(t.kernel[1] - 1))]
        t.ceilMode = rng.bool()
        t.h = Swift.max(1, (t.kernel[0] - 1) * t.dilations[0] + 1 - t.pads[0] - t.pads[2] + rng.int(0...8))
        t.w = rng.int(widths)
        return t
    }

    /// The stride-2 SIMD max-pool path (W kernel 2 or 3, ≥ 8 outputs per row): random
    /// H windows (kernel, stride, dilation), pads, ceil mode, odd and even extents.
    func testMaxPoolStride2Fast() {
        var rng = SeededRNG(seed: 0x5F2)
        for _ in 0..<120 {
            let kernelW = rng.pick([2, 3])
            checkMax(PoolKernelTests.rowBufferCase(&rng, kernelW: kernelW, strideW: 2, kernelH: 1...4, widths: 16...45),
                     &rng)
        }
        checkMax(Case(n: 1, c: 3, h: 111, w: 113, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]), &rng)
        checkMax(Case(n: 1, c: 2, h: 16, w: 16, kernel: [2, 2], strides: [2, 2]), &rng)
    }

    /// The stride-1 row-buffer path (any W kernel, ≥ 8 outputs per row; YOLO's 5×5/1
    /// SPPF pool): random H windows, pads, ceil mode, outputs not a multiple of 8.
    func testMaxPoolStride1Fast() {
        var rng = SeededRNG(seed: 0x5F1)
        for _ in 0..<120 {
            let kernelW = rng.int(1...7)
            checkMax(PoolKernelTests.rowBufferCase(&rng, kernelW: kernelW, strideW: 1, kernelH: 1...5, widths: 14...45),
                     &rng)
        }
        checkMax(Case(n: 1, c: 4, h: 14, w: 14, kernel: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2]), &rng)
    }

    /// Max pools with a thread pool current (planes split over the threads, a worker's row
    /// buffer in its pool scratch): the row-buffer paths and the generic one, exact on 1, 2
    /// and 3 threads, with enough outputs that the split happens.
    func testMaxPoolOnThreads() {
        var rng = SeededRNG(seed: 0x5F3)
        let cases = [
            Case(n: 1, c: 24, h: 41, w: 39, kernel: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2]),
            Case(n: 2, c: 9, h: 83, w: 81, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
            Case(n: 1, c: 17, h: 40, w: 44, kernel: [2, 3], strides: [1, 1], dilations: [1, 2]),
        ]
        for t in cases {
            let x = makeRandomTensor(shape: [t.n, t.c, t.h, t.w], rng: &rng)
            let ref = PoolReference.maxPool(x: x.values, xShape: x.shape, kernel: t.kernel, strides: t.strides,
                                            dilations: t.dilations, pads: t.pads, ceilMode: t.ceilMode)
            XCTAssertGreaterThanOrEqual(ref.values.count, MaxPoolLayer.parallelMinOutputs, "\(t) too small to split")
            for threads in [1, 2, 3] {
                let y = makeTensor(shape: ref.shape)
                let window = Window2D(kernel: t.kernel, strides: t.strides, dilations: t.dilations, pads: t.pads)
                let op = makeOp(.maxPool, inputs: [x], outputs: [y], params: MaxPoolParams(window: window))
                let pool = threads > 1 ? edge_pool_create(Int32(threads), edge_gemm_max_scratch_floats()) : nil
                defer { edge_pool_destroy(pool) }
                if threads > 1 && pool == nil { return XCTFail("no pool") }
                do {
                    let layer = try buildLayer(op, inputs: [x], outputs: [y])
                    edge_pool_set_current(pool)
                    runLayer(layer)
                    edge_pool_set_current(nil)
                } catch {
                    return XCTFail("build failed: \(error.message) (\(t))")
                }
                XCTAssertTrue(y.guardIntact, "output guard overwritten: \(t), \(threads) threads")
                let wrong = zip(y.values, ref.values).filter { $0 != $1 }.count
                XCTAssertEqual(wrong, 0, "outputs that differ from the reference: \(t), \(threads) threads")
            }
        }
    }

    /// ResNet's stem pool and the classic 2×2 / 3×3 ceil-mode pools.
    func testNamedPools() {
        var rng = SeededRNG(seed: 4)
        checkMax(Case(n: 1, c: 4, h: 112, w: 112, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]), &rng)
        checkMax(Case(n: 1, c: 2, h: 13, w: 13, kernel: [3, 3], strides: [2, 2], ceilMode: true), &rng)
        checkMax(Case(n: 1, c: 2, h: 7, w: 9, kernel: [2, 2], strides: [2, 2], ceilMode: true), &rng)
        checkAverage(Case(n: 1, c: 2, h: 7, w: 9, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true,
                          countIncludePad: true), &rng)
        checkAverage(Case(n: 1, c: 2, h: 7, w: 9, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true,
                          countIncludePad: false), &rng)
        checkAverage(Case(n: 1, c: 3, h: 8, w: 8, kernel: [2, 2], strides: [2, 2]), &rng)
    }

    /// count_include_pad = 1 on a ceil-mode window that hangs past the bottom pad: the
    /// divisor is the window clipped to input + pads (6 here), not the kernel size (9).
    func testAverageDivisorClippedToPaddedInput() {
        // 1×1×4×4 of ones, k 3, s 2, pads 1 → ceil mode gives 3×3 outputs; the last
        // row/col windows start at 3 and cover rows 3, 4 (pad), 5 (beyond the pad).
        let x = makeTensor(shape: [1, 1, 4, 4], values: [Float](repeating: 1, count: 16))
        let y = makeTensor(shape: [1, 1, 3, 3])
        let op = makeOp(.averagePool, inputs: [x], outputs: [y],
                        params: AveragePoolParams(window: Window2D(kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 1,
                                                                   padLeft: 1, padBottom: 1, padRight: 1),
                                                  countIncludePad: true))
        XCTAssertTrue(buildAndRun(op, inputs: [x], outputs: [y]))
        // Corner (0,0): 4 real of 9 padded = 4/9. Last corner: rows 3..4 x cols 3..4 = 4
        // cells of which 1 real → 1/4.
        XCTAssertEqual(y.values[0], 4.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(y.values[8], 1.0 / 4, accuracy: 1e-6)
        XCTAssertEqual(y.values[4], 1, accuracy: 1e-6)
    }

    func testGlobalPools() {
        var rng = SeededRNG(seed: 0x610)
        for _ in 0..<60 {
            let rank = rng.int(3...5)
            let shape = [rng.int(1...2), rng.int(1...5)] + (2..<rank).map { _ in rng.int(1...9) }
            let x = makeRandomTensor(shape: shape, rng: &rng, -5...5)
            for isMax in [false, true] {
                let ref = PoolReference.globalPool(x: x.values, xShape: shape, max: isMax)
                let y = makeTensor(shape: ref.shape)
                let op = makeOp(isMax ? .globalMaxPool : .globalAveragePool, inputs: [x], outputs: [y], params: NoParams())
                if buildAndRun(op, inputs: [x], outputs: [y]) {
                    assertClose(y.values, ref.values, "global \(isMax ? "max" : "avg") \(shape)")
                }
            }
        }
    }

    // MARK: - Malformed records

    func testRejectsMalformedMaxPool() {
        let x = makeTensor(shape: [1, 2, 8, 8]), y = makeTensor(shape: [1, 2, 4, 4])
        let window = Window2D(kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let good = MaxPoolParams(window: window).ints
        func with(_ edit: (inout Window2D) -> Void) -> [Int64] {
            var w = window
            edit(&w)
            return MaxPoolParams(window: w).ints
        }
        func op(_ ints: [Int64], floats: [Float] = [], x: TestTensor = x, y: TestTensor = y) -> OpDescription {
            makeOp(.maxPool, name: "bad_maxpool", inputs: [x], outputs: [y], ints: ints, floats: floats)
        }
        XCTAssertNoThrow(try buildLayer(op(good), inputs: [x], outputs: [y]))
        func reject(_ kind: EdgeError.Kind?, _ what: String, _ ints: [Int64], floats: [Float] = [],
                    x: TestTensor = x, y: TestTensor = y) {
            assertRejects(op(ints, floats: floats, x: x, y: y), inputs: [x], outputs: [y], kind: kind, what)
        }
        reject(.format, "9 ints", Array(good.dropLast()))
        reject(.format, "a float", good, floats: [1])
        reject(.format, "kernel 0", with { $0.kernelH = 0 })
        reject(.format, "stride 0", with { $0.strideH = 0 })
        reject(.format, "dilation 0", with { $0.dilationH = 0 })
        reject(.format, "negative pad", with { $0.padTop = -1 })
        reject(.format, "huge kernel", with { $0.kernelH = 1 << 40 })
        reject(.unsupported, "pad >= kernel", with { $0.padTop = 3 })
        reject(.shape, "Y too large", good, y: makeTensor(shape: [1, 2, 6, 4]))
        reject(.shape, "Y too small", good, y: makeTensor(shape: [1, 2, 3, 4]))
        reject(.shape, "Y channels", good, y: makeTensor(shape: [1, 3, 4, 4]))
        reject(.shape, "window larger than input", MaxPoolParams(window: Window2D(kernelH: 3, kernelW: 3)).ints, x: makeTensor(shape: [1, 2, 2, 8]),
               y: makeTensor(shape: [1, 2, 1, 6]))
        reject(.shape, "X rank", good, x: makeTensor(shape: [2, 8, 8]))
        reject(.shape, "absurd X", good, x: TestTensor(declaredShape: [1 << 40, 2, 8, 8]),
               y: TestTensor(declaredShape: [1 << 40, 2, 4, 4]))
        assertRejects(makeOp(.maxPool, name: "bad_maxpool", inputs: [x, x], outputs: [y], ints: good),
                      inputs: [x, x], outputs: [y], kind: .format, "two inputs")
    }

    func testRejectsMalformedAveragePool() {
        let x = makeTensor(shape: [1, 2, 8, 8]), y = makeTensor(shape: [1, 2, 4, 4])
        let params = AveragePoolParams(window: Window2D(kernelH: 2, kernelW: 2, strideH: 2, strideW: 2), countIncludePad: false)
        let good = params.ints
        func reject(_ kind: EdgeError.Kind?, _ what: String, _ ints: [Int64], y: TestTensor = y) {
            let op = makeOp(.averagePool, name: "bad_avgpool", inputs: [x], outputs: [y], ints: ints)
            assertRejects(op, inputs: [x], outputs: [y], kind: kind, what)
        }
        XCTAssertNoThrow(try buildLayer(makeOp(.averagePool, inputs: [x], outputs: [y], ints: good),
                                        inputs: [x], outputs: [y]))
        reject(.format, "10 ints", good + [0])
        reject(.format, "countIncludePad 2", Array(good.dropLast()) + [2])
        var padded = params
        padded.window.padTop = 2
        reject(.unsupported, "pad >= kernel", padded.ints)
        reject(.shape, "Y shape", good, y: makeTensor(shape: [1, 2, 5, 5]))
    }

    func testRejectsMalformedGlobalPool() {
        let x = makeTensor(shape: [1, 3, 4, 4])
        func reject(_ kind: EdgeError.Kind?, _ what: String, ints: [Int64] = [], floats: [Float] = [], x: TestTensor = x,
                    y: TestTensor) {
            let op = makeOp(.globalAveragePool, name: "bad_gap", inputs: [x], outputs: [y], ints: ints, floats: floats)
            assertRejects(op, inputs: [x], outputs: [y], kind: kind, what)
        }
        reject(.format, "an int", ints: [0], y: makeTensor(shape: [1, 3, 1, 1]))
        reject(.format, "a float", floats: [0], y: makeTensor(shape: [1, 3, 1, 1]))
        reject(.shape, "Y not [N, C, 1, 1]", y: makeTensor(shape: [1, 3, 2, 1]))
        reject(.shape, "Y rank", y: makeTensor(shape: [1, 3]))
        reject(.shape, "X rank 2", x: makeTensor(shape: [1, 3]), y: makeTensor(shape: [1, 3]))
        reject(.shape, "absurd X", x: TestTensor(declaredShape: [1, 3, 1 << 40, 1 << 40]), y: makeTensor(shape: [1, 3, 1, 1]))
        // A GlobalPoolLayer built for another op code is a caller bug, still not a trap.
        let y = makeTensor(shape: [1, 3, 1, 1])
        XCTAssertThrowsError(try GlobalPoolLayer(makeOp(.maxPool, inputs: [x], outputs: [y], ints: []),
                                                 inputs: [x.ref], outputs: [y.ref]))
    }
}
