import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// ConvTransposeLayer against `ConvReference.convTranspose`: groups, kernel sizes,
/// strides, dilations, asymmetric pads, output padding, bias, every activation.
final class ConvTransposeKernelTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var n = 1, c = 1, h = 1, w = 1, mPerGroup = 1, group = 1
        var kernel = [1, 1], strides = [1, 1], dilations = [1, 1], pads = [0, 0, 0, 0], outputPadding = [0, 0]
        var bias = true
        var act = TestActivation.none

        var description: String {
            "N\(n) C\(c) \(h)x\(w) M/g \(mPerGroup) g\(group) k\(kernel) s\(strides) d\(dilations) p\(pads) "
                + "op\(outputPadding) bias \(bias) act \(act.kind)"
        }

        var params: ConvParams {
            ConvParams(activation: act.fused, group: Int64(group),
                       window: Window2D(kernel: kernel, strides: strides, dilations: dilations, pads: pads))
        }
    }

    static func randomCase(_ rng: inout SeededRNG) -> Case {
        var t = Case()
        t.n = rng.int(1...2)
        t.group = rng.pick([1, 1, 2, 3])
        t.c = t.group * rng.int(1...3)
        t.mPerGroup = rng.int(1...3)
        t.kernel = [rng.int(1...4), rng.int(1...4)]
        t.strides = [rng.int(1...3), rng.int(1...3)]
        t.dilations = [rng.pick([1, 1, 2]), rng.pick([1, 1, 2])]
        t.h = rng.int(1...6)
        t.w = rng.int(1...6)
        for axis in 0..<2 {
            t.outputPadding[axis] = rng.int(0...(Swift.max(t.strides[axis], t.dilations[axis]) - 1))
            // Pads may crop at most what leaves one output.
            let input = axis == 0 ? t.h : t.w
            let extent = t.strides[axis] * (input - 1) + (t.kernel[axis] - 1) * t.dilations[axis] + 1
            let room = Swift.max(0, extent - 1)
            let before = rng.int(0...Swift.min(2, room))
            let after = rng.int(0...Swift.min(2, room - before))
            t.pads[axis] = before
            t.pads[axis + 2] = after
        }
        t.bias = rng.bool(0.7)
        t.act = TestActivation.random(&rng)
        return t
    }

    func check(_ t: Case, _ rng: inout SeededRNG, file: StaticString = #filePath, line: UInt = #line) {
        let xShape = [t.n, t.c, t.h, t.w]
        let wShape = [t.c, t.mPerGroup, t.kernel[0], t.kernel[1]]
        let m = t.mPerGroup * t.group
        let x = makeRandomTensor(shape: xShape, rng: &rng)
        let wt = makeRandomWeight(shape: wShape, rng: &rng)
        let b = t.bias ? makeRandomTensor(shape: [m], rng: &rng) : nil
        let ref = ConvReference.convTranspose(x: x.values, xShape: xShape, w: wt.values, wShape: wShape, b: b?.values,
                                              group: t.group, strides: t.strides, dilations: t.dilations,
                                              pads: t.pads, outputPadding: t.outputPadding,
                                              activation: t.act.kind, alpha: t.act.alpha, beta: t.act.beta)
        let y = makeTensor(shape: ref.shape)
        let op = makeOp(.convTranspose, inputs: [x, wt, b], outputs: [y], params: t.params)
        if buildAndRun(op, inputs: [x, wt, b], outputs: [y], file: file, line: line) {
            assertClose(y.values, ref.values, "\(t)", file: file, line: line)
        }
    }

    func testRandomCases() {
        var rng = SeededRNG(seed: 0x7A2)
        for _ in 0..<150 { check(ConvTransposeKernelTests.randomCase(&rng), &rng) }
    }

    func testEveryActivation() {
        var rng = SeededRNG(seed: 3)
        for act in ActivationKind.allCases {
            var t = ConvTransposeKernelTests.randomCase(&rng)
            var a = TestActivation.random(&rng)
            while a.kind != act { a = TestActivation.random(&rng) }
            t.act = a
            check(t, &rng)
        }
    }

    /// The usual decoder upsampler: 4×4 stride 2 pad 1, 2× output.
    func testUpsampler() {
        var rng = SeededRNG(seed: 9)
        var t = Case(n: 1, c: 6, h: 9, w: 7, mPerGroup: 4, group: 1)
        t.kernel = [4, 4]
        t.strides = [2, 2]
        t.pads = [1, 1, 1, 1]
        t.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
        check(t, &rng)
    }

    /// More input positions than one column tile (1024 here): several GEMM + col2im
    /// tiles, split mid-row, with stride 2 and dilation.
    func testColumnTiling() {
        var rng = SeededRNG(seed: 10)
        var t = Case(n: 1, c: 2, h: 36, w: 37, mPerGroup: 16, group: 1)
        t.kernel = [4, 4]
        t.strides = [2, 1]
        t.dilations = [1, 2]
        t.pads = [1, 2, 2, 1]
        t.outputPadding = [1, 0]
        check(t, &rng)
    }

    // MARK: - Malformed records

    /// A valid ConvTranspose: X [1, 4, 5, 5], W [4, 3, 3, 3], group 2 → M 6,
    /// stride 2, pads 1 → Y [1, 6, 9, 9].
    struct Valid {
        var x = makeTensor(shape: [1, 4, 5, 5], values: [Float](repeating: 1, count: 100))
        var w = makeTensor(shape: [4, 3, 3, 3], values: [Float](repeating: 1, count: 108))
        var b: TestTensor? = makeTensor(shape: [6], values: [Float](repeating: 0, count: 6))
        var y = makeTensor(shape: [1, 6, 9, 9])
        var record = TestRecord(ConvParams(group: 2, window: Window2D(kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                                                        padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)))
        var ints: [Int64] { record.ints }
        var floats: [Float] { record.floats }

        var op: OpDescription {
            makeOp(.convTranspose, name: "bad_deconv", inputs: [x, w, b], outputs: [y], ints: ints, floats: floats)
        }
        var inputs: [TestTensor?] { [x, w, b] }
    }

    func testValidBaselineBuilds() {
        let v = Valid()
        XCTAssertTrue(buildAndRun(v.op, inputs: v.inputs, outputs: [v.y]))
        var o = Valid()
        o.y = makeTensor(shape: [1, 6, 10, 10])   // output_padding 1 (< stride)
        XCTAssertTrue(buildAndRun(o.op, inputs: o.inputs, outputs: [o.y]))
    }

    func testRejectsMalformedRecords() {
        func reject(_ kind: EdgeError.Kind?, _ what: String, _ edit: (inout Valid) -> Void) {
            var v = Valid()
            edit(&v)
            assertRejects(v.op, inputs: v.inputs, outputs: [v.y], kind: kind, what)
        }
        reject(.format, "11 ints") { $0.record.ints.removeLast() }
        reject(.format, "1 float") { $0.record.floats = [0] }
        reject(.format, "unknown activation") { $0.record.ints[0] = -1 }
        reject(.shape, "group does not divide C") { $0.record.params.group = 3 }
        reject(.format, "group 0") { $0.record.params.group = 0 }
        reject(.format, "stride 0") { $0.record.params.window.strideW = 0 }
        reject(.format, "negative pad") { $0.record.params.window.padTop = -2 }
        reject(.shape, "W's first dim is not C") { $0.w = makeTensor(shape: [2, 3, 3, 3]) }
        reject(.shape, "kernel disagrees with W") { $0.record.params.window.kernelH = 2 }
        reject(.shape, "bias count") { $0.b = makeTensor(shape: [3]) }
        reject(.shape, "Y channels") { $0.y = makeTensor(shape: [1, 3, 9, 9]) }
        reject(.shape, "Y too small") { $0.y = makeTensor(shape: [1, 6, 8, 9]) }
        reject(.shape, "output padding >= stride") { $0.y = makeTensor(shape: [1, 6, 11, 9]) }
        reject(.shape, "pads crop everything") {
            $0.record.params.window = Window2D(kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                               padTop: 6, padLeft: 6, padBottom: 6, padRight: 6)
        }
        reject(.shape, "absurd X") { $0.x = TestTensor(declaredShape: [1, 4, 1 << 40, 5]) }
        reject(.shape, "absurd W") { $0.w = TestTensor(declaredShape: [4, 1 << 60, 3, 3]) }
        reject(.shape, "zero dim") { $0.x = TestTensor(declaredShape: [1, 4, 0, 5]) }
        let v = Valid()
        assertRejects(makeOp(.convTranspose, name: "bad_deconv", inputs: [v.x], outputs: [v.y], ints: v.ints,
                             floats: v.floats),
                      inputs: [v.x], outputs: [v.y], kind: .format, "missing W")
    }
}
