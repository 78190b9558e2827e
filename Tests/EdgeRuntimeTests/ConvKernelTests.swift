import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// ConvLayer against `ConvReference.conv` on seeded random cases covering every path:
/// 1×1 GEMM (plain and grouped), im2col (any kernel, stride, dilation, asymmetric pads,
/// groups, tiled), depthwise 3×3 stride 1/2, the SIMD any-kernel depthwise rows and the
/// scalar ones (multipliers, dilation, stride 3), with and without bias, every activation.
final class ConvKernelTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var n = 1, c = 1, h = 1, w = 1, m = 1, group = 1
        var kernel = [1, 1], strides = [1, 1], dilations = [1, 1], pads = [0, 0, 0, 0]
        var bias = true
        var act = TestActivation.none

        var description: String {
            "N\(n) C\(c) \(h)x\(w) M\(m) g\(group) k\(kernel) s\(strides) d\(dilations) p\(pads) "
                + "bias \(bias) act \(act.kind)"
        }

        var params: ConvParams {
            ConvParams(activation: act.fused, group: Int64(group),
                       window: Window2D(kernel: kernel, strides: strides, dilations: dilations, pads: pads))
        }

        /// Picks an input extent so the padded input holds at least one window.
        static func extent(_ rng: inout SeededRNG, kernel: Int, dilation: Int, padSum: Int, extra: ClosedRange<Int>) -> Int {
            Swift.max(1, (kernel - 1) * dilation + 1 - padSum + rng.int(extra))
        }
    }

    enum Kind: CaseIterable { case pointwise, im2col, grouped, dw3x3s1, dw3x3s2, dwSIMD, dwGeneric, strided1x1 }

    static func randomCase(_ kind: Kind, _ rng: inout SeededRNG) -> Case {
        var t = Case()
        t.n = rng.int(1...2)
        t.bias = rng.bool(0.75)
        t.act = TestActivation.random(&rng)
        switch kind {
        case .pointwise:
            t.group = rng.pick([1, 1, 2, 3])
            t.c = t.group * rng.int(1...6)
            t.m = t.group * rng.int(1...6)
            if t.c == t.group { t.c *= 2 }   // Cg > 1, else it is the depthwise path
            t.dilations = [rng.int(1...2), rng.int(1...2)]   // irrelevant for 1×1
        case .im2col, .grouped:
            t.group = kind == .grouped ? rng.int(2...3) : 1
            t.c = t.group * rng.int(2...4)
            t.m = t.group * rng.int(1...4)
            t.kernel = [rng.int(1...5), rng.int(1...5)]
            if t.kernel == [1, 1] { t.kernel[1] = 3 }
            t.strides = [rng.int(1...3), rng.int(1...3)]
            t.dilations = [rng.pick([1, 1, 2]), rng.pick([1, 1, 3])]
            t.pads = [rng.int(0...2), rng.int(0...2), rng.int(0...2), rng.int(0...3)]
        case .dw3x3s1, .dw3x3s2:
            t.c = rng.int(1...5)
            t.group = t.c
            t.m = t.c
            t.kernel = [3, 3]
            let s = kind == .dw3x3s1 ? 1 : 2
            t.strides = [s, s]
            t.pads = rng.bool(0.7) ? [1, 1, 1, 1] : [rng.int(0...2), rng.int(0...2), rng.int(0...2), rng.int(0...2)]
        case .dwSIMD:
            // Rows of >= 4 outputs with stride 1 or 2: the SIMD loops over any kernel.
            t.c = rng.int(1...3)
            t.group = t.c
            t.m = t.c * rng.int(1...2)
            t.kernel = [rng.int(1...5), rng.int(1...5)]
            t.strides = [rng.int(1...3), rng.int(1...2)]
            t.dilations = [rng.int(1...2), rng.int(1...3)]
            t.pads = [rng.int(0...2), rng.int(0...3), rng.int(0...2), rng.int(0...3)]
        case .dwGeneric:
            t.c = rng.int(1...4)
            t.group = t.c
            t.m = t.c * rng.int(1...3)
            t.kernel = [rng.int(1...5), rng.int(1...5)]
            t.strides = [rng.int(1...3), rng.int(1...3)]
            t.dilations = [rng.int(1...3), rng.int(1...2)]
            t.pads = [rng.int(0...3), rng.int(0...2), rng.int(0...2), rng.int(0...3)]
        case .strided1x1:
            t.c = rng.int(2...5)
            t.m = rng.int(1...4)
            t.strides = [rng.int(1...3), rng.int(2...3)]
            t.pads = [rng.int(0...1), rng.int(0...1), rng.int(0...1), rng.int(0...1)]
        }
        let small = kind == .dw3x3s1 || kind == .dw3x3s2 ? 0...12 : kind == .dwSIMD ? 6...14 : 0...7
        t.h = Case.extent(&rng, kernel: t.kernel[0], dilation: t.dilations[0], padSum: t.pads[0] + t.pads[2], extra: small)
        t.w = Case.extent(&rng, kernel: t.kernel[1], dilation: t.dilations[1], padSum: t.pads[1] + t.pads[3], extra: small)
        return t
    }

    /// Runs ConvLayer on `t` with random data and compares with the reference.
    func check(_ t: Case, _ rng: inout SeededRNG, file: StaticString = #filePath, line: UInt = #line) {
        let xShape = [t.n, t.c, t.h, t.w]
        let wShape = [t.m, t.c / t.group, t.kernel[0], t.kernel[1]]
        let x = makeRandomTensor(shape: xShape, rng: &rng)
        let wt = makeRandomWeight(shape: wShape, rng: &rng)
        let b = t.bias ? makeRandomTensor(shape: [t.m], rng: &rng) : nil
        let ref = ConvReference.conv(x: x.values, xShape: xShape, w: wt.values, wShape: wShape, b: b?.values,
                                     group: t.group, strides: t.strides, dilations: t.dilations, pads: t.pads,
                                     activation: t.act.kind, alpha: t.act.alpha, beta: t.act.beta)
        let y = makeTensor(shape: ref.shape)
        let op = makeOp(.conv, inputs: [x, wt, b], outputs: [y], params: t.params)
        if buildAndRun(op, inputs: [x, wt, b], outputs: [y], file: file, line: line) {
            assertClose(y.values, ref.values, "\(t)", file: file, line: line)
            XCTAssertTrue(x.guardIntact && wt.guardIntact, "inputs overwritten: \(t)", file: file, line: line)
        }
    }

    func testRandomCasesEveryPath() {
        var rng = SeededRNG(seed: 0xC0417)
        for i in 0..<240 {
            let kind = Kind.allCases[i % Kind.allCases.count]
            check(ConvKernelTests.randomCase(kind, &rng), &rng)
        }
    }

    /// Every activation kind on each path at least once, deterministically.
    func testEveryActivationOnEveryPath() {
        var rng = SeededRNG(seed: 77)
        for kind in Kind.allCases {
            for act in ActivationKind.allCases {
                var t = ConvKernelTests.randomCase(kind, &rng)
                var a = TestActivation.random(&rng)
                while a.kind != act { a = TestActivation.random(&rng) }
                t.act = a
                check(t, &rng)
            }
        }
    }

    /// Output planes larger than one im2col tile: several tiles, split mid-row.
    func testIm2colTiling() {
        var rng = SeededRNG(seed: 5)
        var t = Case(n: 1, c: 16, h: 48, w: 50, m: 3, group: 1)
        t.kernel = [3, 3]
        t.pads = [1, 1, 1, 1]
        t.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
        check(t, &rng)
        t.strides = [1, 1]
        t.c = 32
        t.h = 40
        t.w = 41
        t.pads = [0, 2, 1, 0]
        check(t, &rng)
    }

    /// Stride-2 im2col rows wide enough for its 8-wide SIMD gather (ResNet's 7×7/2 stem,
    /// 3×3/2 downsampling convs), odd and even extents, pads 0..3 on either side.
    func testIm2colStride2WideRows() {
        var rng = SeededRNG(seed: 0x52)
        var stem = Case(n: 1, c: 3, h: 40, w: 45, m: 8, group: 1)
        stem.kernel = [7, 7]
        stem.strides = [2, 2]
        stem.pads = [3, 3, 3, 3]
        stem.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
        check(stem, &rng)
        for _ in 0..<12 {
            var t = Case(n: rng.int(1...2), c: rng.int(2...9), h: rng.int(17...40), w: rng.int(17...48),
                         m: rng.int(1...6), group: 1)
            t.kernel = [rng.pick([1, 3, 5]), rng.pick([2, 3, 7])]
            t.strides = [rng.int(1...2), 2]
            t.pads = [rng.int(0...1), rng.int(0...3), rng.int(0...1), rng.int(0...3)]
            t.bias = rng.bool()
            t.act = TestActivation.random(&rng)
            check(t, &rng)
        }
    }

    /// Few input channels (network stems): the direct kernel on x86-64 with AVX2+FMA
    /// (im2col elsewhere). C 1...32 (mostly 1...4); M 4...9, so the last block of 4 channels often overlaps
    /// the one before; kernels up to 5x7; strides 1...3 by 1...2; pads 0...3 on any side;
    /// rows of 16...40 outputs (the last step overlaps); every activation; batches of 2.
    func testDirectFewInputChannels() {
        var rng = SeededRNG(seed: 0xD1C)
        for i in 0..<48 {
            var t = Case(n: rng.int(1...2), c: rng.pick([1, 2, 3, 4, rng.int(5...32)]), h: 1, w: 1,
                         m: rng.int(4...9), group: 1)
            t.kernel = [rng.int(1...5), rng.pick([1, 2, 3, 3, 5, 7])]
            if t.kernel == [1, 1] { t.kernel[0] = 3 }
            t.strides = [rng.int(1...3), rng.int(1...2)]
            t.pads = [rng.int(0...2), rng.int(0...3), rng.int(0...2), rng.int(0...3)]
            t.bias = rng.bool(0.75)
            t.act = TestActivation.random(&rng)
            if i < ActivationKind.allCases.count {
                while t.act.kind != ActivationKind.allCases[i] { t.act = TestActivation.random(&rng) }
            }
            t.h = Case.extent(&rng, kernel: t.kernel[0], dilation: 1, padSum: t.pads[0] + t.pads[2], extra: 0...9)
            let outW = rng.int(16...40), padW = t.pads[1] + t.pads[3]
            t.w = Swift.max(1, (outW - 1) * t.strides[1] + t.kernel[1] - padW + rng.int(0...1))
            check(t, &rng)
        }
    }

    /// 1×1 convs on a 1×1 plane (squeeze-excitation FCs, MobileNetV3's 576 -> 144 -> 576):
    /// the gemv per group, with and without bias, every activation, groups, batches.
    func testPointwiseOnOnePixel() {
        var rng = SeededRNG(seed: 0x5E)
        for i in 0..<24 {
            let group = rng.pick([1, 1, 2, 3])
            var t = Case(n: rng.int(1...2), c: group * rng.int(2...200), h: 1, w: 1, m: group * rng.int(1...60),
                         group: group)
            if i == 0 { (t.c, t.m, t.group) = (576, 144, 1) }
            t.bias = rng.bool(0.75)
            t.act = TestActivation.random(&rng)
            check(t, &rng)
        }
    }

    /// MobileNet-like depthwise shapes, larger than the random ones.
    func testDepthwiseMobileNetLike() {
        var rng = SeededRNG(seed: 11)
        for (size, stride) in [(28, 1), (28, 2), (15, 2), (7, 1)] {
            var t = Case(n: 1, c: 8, h: size, w: size, m: 8, group: 8)
            t.kernel = [3, 3]
            t.strides = [stride, stride]
            t.pads = [1, 1, 1, 1]
            t.act = TestActivation(kind: .clip, alpha: 0, beta: 6)
            check(t, &rng)
        }
    }

    // MARK: - Malformed records

    /// A valid 3×3 conv (C 4, M 6, group 2, 8×8 → 8×8) and its operands, to break one
    /// thing at a time.
    struct Valid {
        var x = makeTensor(shape: [1, 4, 8, 8], values: [Float](repeating: 1, count: 256))
        var w = makeTensor(shape: [6, 2, 3, 3], values: [Float](repeating: 1, count: 108))
        var b: TestTensor? = makeTensor(shape: [6], values: [Float](repeating: 0, count: 6))
        var y = makeTensor(shape: [1, 6, 8, 8])
        var record = TestRecord(ConvParams(group: 2, window: Window2D(kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1,
                                                                        padBottom: 1, padRight: 1)))
        var ints: [Int64] { record.ints }
        var floats: [Float] { record.floats }

        var op: OpDescription { makeOp(.conv, name: "bad_conv", inputs: [x, w, b], outputs: [y], ints: ints, floats: floats) }
        var inputs: [TestTensor?] { [x, w, b] }
    }

    func testValidBaselineBuilds() {
        let v = Valid()
        XCTAssertTrue(buildAndRun(v.op, inputs: v.inputs, outputs: [v.y]))
    }

    func testRejectsMalformedRecords() {
        func reject(_ kind: EdgeError.Kind?, _ what: String, _ edit: (inout Valid) -> Void) {
            var v = Valid()
            edit(&v)
            assertRejects(v.op, inputs: v.inputs, outputs: [v.y], kind: kind, what)
        }
        reject(.format, "11 ints") { $0.record.ints.removeLast() }
        reject(.format, "13 ints") { $0.record.ints.append(0) }
        reject(.format, "no floats") { $0.record.floats = [] }
        reject(.format, "unknown activation") { $0.record.ints[0] = 99 }
        reject(.format, "group 0") { $0.record.params.group = 0 }
        reject(.shape, "group does not divide C") { $0.record.params.group = 3 }
        reject(.format, "stride 0") { $0.record.params.window.strideH = 0 }
        reject(.format, "negative pad") { $0.record.params.window.padLeft = -1 }
        reject(.format, "dilation 2^40") { $0.record.params.window.dilationH = 1 << 40 }
        reject(.format, "kernel 0") { $0.record.params.window.kernelH = 0 }
        reject(.shape, "kernel disagrees with W") { $0.record.params.window.kernelW = 2 }
        reject(.shape, "W element count") { $0.w = makeTensor(shape: [6, 4, 3, 3]) }
        reject(.shape, "M not divisible by group") {
            $0.w = makeTensor(shape: [5, 2, 3, 3]); $0.b = makeTensor(shape: [5]); $0.y = makeTensor(shape: [1, 5, 8, 8])
        }
        reject(.shape, "bias count") { $0.b = makeTensor(shape: [5]) }
        reject(.shape, "Y spatial") { $0.y = makeTensor(shape: [1, 6, 7, 8]) }
        reject(.shape, "Y channels") { $0.y = makeTensor(shape: [1, 5, 8, 8]) }
        reject(.shape, "Y rank") { $0.y = makeTensor(shape: [6, 8, 8]) }
        reject(.shape, "X rank") { $0.x = makeTensor(shape: [4, 8, 8]) }
        reject(.shape, "window larger than input") { $0.record.params.window = Window2D(kernelH: 3, kernelW: 3); $0.x = makeTensor(shape: [1, 4, 2, 8]) }
        reject(.shape, "absurd X") { $0.x = TestTensor(declaredShape: [1, 4, 1 << 40, 1 << 40]) }
        reject(.shape, "overflowing X") { $0.x = TestTensor(declaredShape: [1 << 62, 4, 1 << 62, 8]) }
        reject(.shape, "negative dim") { $0.x = TestTensor(declaredShape: [1, 4, -8, 8]) }
        reject(.shape, "empty dim") { $0.y = TestTensor(declaredShape: [1, 6, 0, 8]) }
        reject(nil, "absurd output") { $0.y = TestTensor(declaredShape: [1, 6, 1 << 31, 1 << 31]) }

        var v = Valid()
        assertRejects(makeOp(.conv, name: "bad_conv", inputs: [v.x], outputs: [v.y], ints: v.ints, floats: v.floats),
                      inputs: [v.x], outputs: [v.y], kind: .format, "missing W")
        assertRejects(makeOp(.conv, name: "bad_conv", inputs: [v.x, nil], outputs: [v.y], ints: v.ints, floats: v.floats),
                      inputs: [v.x, nil], outputs: [v.y], kind: .format, "absent W")
        let extra = makeTensor(shape: [6])
        assertRejects(makeOp(.conv, name: "bad_conv", inputs: [v.x, v.w, v.b, extra], outputs: [v.y], ints: v.ints,
                             floats: v.floats),
                      inputs: [v.x, v.w, v.b, extra], outputs: [v.y], kind: .format, "4 inputs")
        assertRejects(makeOp(.conv, name: "bad_conv", inputs: v.inputs, outputs: [v.y, v.y], ints: v.ints, floats: v.floats),
                      inputs: v.inputs, outputs: [v.y, v.y], kind: .format, "2 outputs")
        v.b = nil
        XCTAssertTrue(buildAndRun(v.op, inputs: v.inputs, outputs: [v.y]), "absent bias is fine")
    }
}
