import CEdgeSupport
import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// Conv layers run with a thread pool current (as the interpreter runs them on
/// `--threads N`): the Winograd paths (transforms split over channels, the 16 or 36 GEMMs
/// as one batch), im2col split over channels, the pointwise GEMM split over column ranges,
/// and the few-input-channel direct kernel split over bands of rows.
/// Each must match the reference and the one-thread result bit for bit, on 2 and 3
/// threads, with shapes large enough that every split really happens.
final class ThreadedConvTests: XCTestCase {
    typealias Case = ConvKernelTests.Case

    /// Runs `t` on one thread and on each pool; checks the path (and the Winograd tile side
    /// `tile`, if given), the reference and bit equality across thread counts.
    func check(_ t: Case, winograd: Bool, tile: Int? = nil, fromInput: Bool? = nil, kernel: String? = nil,
               _ rng: inout SeededRNG,
               file: StaticString = #filePath, line: UInt = #line) {
        let xShape = [t.n, t.c, t.h, t.w]
        let wShape = [t.m, t.c / t.group, t.kernel[0], t.kernel[1]]
        let x = makeRandomTensor(shape: xShape, rng: &rng)
        let wt = makeRandomTensor(shape: wShape, rng: &rng)
        wt.isConstant = true
        let b = t.bias ? makeRandomTensor(shape: [t.m], rng: &rng) : nil
        let ref = ConvReference.conv(x: x.values, xShape: xShape, w: wt.values, wShape: wShape, b: b?.values,
                                     group: t.group, strides: t.strides, dilations: t.dilations, pads: t.pads,
                                     activation: t.act.kind, alpha: t.act.alpha, beta: t.act.beta)
        var one: [Float] = []
        var tolerance: Float = 1e-4
        for threads in [1, 2, 3] {
            let y = makeTensor(shape: ref.shape)
            let op = makeOp(.conv, inputs: [x, wt, b], outputs: [y], params: t.params)
            let pool = threads > 1 ? edge_pool_create(Int32(threads), edge_gemm_max_scratch_floats()) : nil
            defer { edge_pool_destroy(pool) }
            if threads > 1 && pool == nil { return XCTFail("no pool", file: file, line: line) }
            do {
                let layer = try buildLayer(op, inputs: [x, wt, b], outputs: [y])
                guard case .conv(let conv) = layer else { return XCTFail("not a conv layer", file: file, line: line) }
                XCTAssertEqual(conv.usesWinograd, winograd, "path choice: \(t)", file: file, line: line)
                if let tile {
                    XCTAssertEqual(conv.winogradTile, tile, "Winograd tile: \(t)", file: file, line: line)
                }
                if let kernel {
                    XCTAssertEqual(conv.kernelChoice, kernel, "kernel: \(t)", file: file, line: line)
                }
                if let fromInput {
                    XCTAssertEqual(conv.packsFromInput, fromInput, "im2col packing: \(t)", file: file, line: line)
                }
                if winograd { tolerance = WinogradTests.tolerance(conv, channels: t.c) }
                edge_pool_set_current(pool)
                runLayer(layer, file: file, line: line)
                edge_pool_set_current(nil)
            } catch {
                return XCTFail("build failed: \(error.message) (\(t))", file: file, line: line)
            }
            XCTAssertTrue(y.guardIntact, "output guard overwritten: \(t), \(threads) threads", file: file, line: line)
            if threads == 1 {
                assertClose(y.values, ref.values, tolerance: tolerance, "\(t)", file: file, line: line)
                one = y.values
            } else {
                XCTAssertEqual(y.values, one, "\(t): \(threads) threads differ from one", file: file, line: line)
            }
        }
    }

    func testWinogradOnThreadsEqualsOneThread() {
        var rng = SeededRNG(seed: 0x7101)
        // Several chunks (64 + 64 channels at 61 x 47), a partial last tile row and column,
        // and a small layer whose transforms split into fewer ranges than 4 per thread.
        for (c, m, h, w) in [(64, 64, 61, 47), (17, 40, 23, 30), (33, 19, 16, 16)] {
            var t = Case(n: rng.pick([1, 2]), c: c, h: h, w: w, m: m, group: 1)
            t.kernel = [3, 3]
            t.pads = [1, 1, 1, 1]
            t.act = TestActivation.random(&rng)
            check(t, winograd: true, &rng)
        }
    }

    /// F(4×4) on its own: random shapes it takes (`WinogradF4Tests.randomCase`: partial
    /// tiles, odd channel counts, pads 0..2, batches, every activation), ResNet-18's
    /// layer1 shape (56×56, C = M = 64: several channel ranges per thread) and a plane in
    /// several chunks (64×64, C = M = 64: 14 tile rows, then 2).
    func testWinogradF4OnThreadsEqualsOneThread() {
        var rng = SeededRNG(seed: 0x7103)
        for _ in 0..<10 {
            check(WinogradF4Tests.randomCase(&rng), winograd: true, tile: 4, &rng)
        }
        for side in [56, 64] {
            var t = Case(n: 1, c: 64, h: side, w: side, m: 64, group: 1)
            t.kernel = [3, 3]
            t.pads = [1, 1, 1, 1]
            t.bias = true
            t.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
            check(t, winograd: true, tile: 4, &rng)
        }
    }

    func testIm2colAndPointwiseOnThreadsEqualOneThread() {
        var rng = SeededRNG(seed: 0x7102)
        // im2col: a stride-2 3x3 and a 7x7 stem-like conv with >= 64K floats of columns.
        var s2 = Case(n: 1, c: 48, h: 40, w: 40, m: 48, group: 1)
        s2.kernel = [3, 3]; s2.strides = [2, 2]; s2.pads = [1, 1, 1, 1]
        s2.act = TestActivation(kind: .relu, alpha: 0, beta: 0)
        check(s2, winograd: false, fromInput: true, &rng)
        // Few outputs (12x12): im2col tiles split over channels, not packed from X.
        var small = Case(n: 1, c: 64, h: 24, w: 24, m: 40, group: 1)
        small.kernel = [3, 3]; small.strides = [2, 2]; small.pads = [1, 0, 1, 2]
        check(small, winograd: false, fromInput: false, &rng)
        // Groups, batch 2, dilation, asymmetric pads, packed from X.
        var grouped = Case(n: 2, c: 24, h: 37, w: 29, m: 36, group: 3)
        grouped.kernel = [3, 2]; grouped.strides = [1, 2]; grouped.dilations = [2, 1]; grouped.pads = [2, 0, 1, 1]
        grouped.act = TestActivation(kind: .clip, alpha: -0.5, beta: 0.5)
        check(grouped, winograd: false, fromInput: true, &rng)
        var stem = Case(n: 1, c: 40, h: 64, w: 64, m: 16, group: 1)
        stem.kernel = [7, 7]; stem.strides = [2, 2]; stem.pads = [3, 3, 3, 3]
        check(stem, winograd: false, fromInput: true, &rng)
        // Few input channels: RGB stems (ResNet's 7x7/2, MobileNet's 3x3/2) and 16 (YOLO's), direct where the
        // CPU has AVX2+FMA, bands of output rows over the threads.
        var direct = edge_dc_geometry(channels: 3, out_channels: 16, in_h: 64, in_w: 64, out_h: 32, out_w: 32,
                                      kernel_h: 3, kernel_w: 3, stride_h: 2, stride_w: 2,
                                      pad_top: 1, pad_left: 1, pad_bottom: 1, pad_right: 1)
        let directKernel = edge_dc_supported(&direct) != 0 ? "direct" : nil
        for (c, k, m, side) in [(3, 7, 16, 64), (3, 3, 16, 96), (3, 3, 30, 71), (16, 3, 32, 80)] {
            var rgb = Case(n: 1, c: c, h: side, w: side, m: m, group: 1)
            rgb.kernel = [k, k]; rgb.strides = [2, 2]; rgb.pads = [k / 2, k / 2, k / 2, k / 2]
            rgb.act = TestActivation.random(&rng)
            check(rgb, winograd: false, kernel: directKernel, &rng)
        }
        // Pointwise: many column panels (more parts than threads) and few (row split).
        // On a 1x1 plane, a gemv large enough to split over row ranges.
        for (c, m, hw) in [(48, 40, 56), (96, 130, 7), (600, 480, 1)] {
            var t = Case(n: 1, c: c, h: hw, w: hw, m: m, group: 1)
            t.act = TestActivation.random(&rng)
            check(t, winograd: false, &rng)
        }
    }
}
