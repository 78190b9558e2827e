import CEdgeSupport
import EdgeFormat
import EdgeReference
import EdgeTestSupport
import XCTest

/// Every depthwise kernel this CPU runs (edge_depthwise.c: AVX2 8-wide, portable 4-wide,
/// scalar) against `ConvReference.conv` on seeded random shapes: 3×3 stride 1/2 (the
/// unrolled rows), any kernel/dilation with stride 1/2, strides above 2, rows narrower and
/// wider than a vector, channel multipliers, the clamp and HardSwish stores; on 1 thread
/// and split over a 2- and 3-thread pool (each thread's own padded plane).
/// ConvKernelTests covers the layer around it with the best kernel.
final class DepthwiseKernelTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var c = 1, mult = 1, h = 1, w = 1
        var kernel = [3, 3], strides = [1, 1], dilations = [1, 1], pads = [1, 1, 1, 1]
        var act = ActivationKind.none
        var alpha: Float = 0, beta: Float = 0
        var bias = true
        var description: String {
            "C\(c) x\(mult) \(h)x\(w) k\(kernel) s\(strides) d\(dilations) p\(pads) \(act) bias \(bias)"
        }
    }

    static func randomCase(_ rng: inout SeededRNG) -> Case {
        var t = Case()
        t.c = rng.int(1...5)
        t.mult = rng.pick([1, 1, 1, 2])
        switch rng.int(0...3) {
        case 0, 1:
            t.kernel = [3, 3]
            t.strides = rng.bool() ? [1, 1] : [2, 2]
            t.pads = rng.bool(0.7) ? [1, 1, 1, 1] : [rng.int(0...2), rng.int(0...2), rng.int(0...2), rng.int(0...2)]
        case 2:
            t.kernel = [rng.int(1...5), rng.int(1...5)]
            t.strides = [rng.int(1...2), rng.int(1...2)]
            t.dilations = [rng.int(1...2), rng.int(1...3)]
            t.pads = [rng.int(0...2), rng.int(0...3), rng.int(0...2), rng.int(0...3)]
        default:
            t.kernel = [rng.int(1...5), rng.int(1...5)]
            t.strides = [rng.int(1...3), rng.int(3...4)]
            t.pads = [rng.int(0...2), rng.int(0...2), rng.int(0...2), rng.int(0...2)]
        }
        // Heights/widths from below one 4-wide step to several 8-wide ones.
        let spanH = (t.kernel[0] - 1) * t.dilations[0] + 1, spanW = (t.kernel[1] - 1) * t.dilations[1] + 1
        t.h = Swift.max(1, spanH - t.pads[0] - t.pads[2] + rng.int(0...12))
        t.w = Swift.max(1, spanW - t.pads[1] - t.pads[3] + rng.pick([0, 2, 5, 9, 15, 23, 40]))
        t.bias = rng.bool(0.8)
        (t.act, t.alpha, t.beta) = PackedGemmTests.randomActivation(&rng)
        return t
    }

    func check(_ t: Case, kernel: UnsafePointer<edge_dw_kernel>, pool: OpaquePointer?, _ rng: inout SeededRNG) {
        let m = t.c * t.mult
        let x = rng.floats(t.c * t.h * t.w), wt = rng.floats(m * t.kernel[0] * t.kernel[1])
        let b = t.bias ? rng.floats(m) : nil
        let ref = ConvReference.conv(x: x, xShape: [1, t.c, t.h, t.w], w: wt, wShape: [m, 1, t.kernel[0], t.kernel[1]],
                                     b: b, group: t.c, strides: t.strides, dilations: t.dilations, pads: t.pads,
                                     activation: t.act, alpha: t.alpha, beta: t.beta)
        var g = edge_dw_geometry(in_h: t.h, in_w: t.w, out_h: ref.shape[2], out_w: ref.shape[3],
                                 kernel_h: t.kernel[0], kernel_w: t.kernel[1], stride_h: t.strides[0],
                                 stride_w: t.strides[1], dilation_h: t.dilations[0], dilation_w: t.dilations[1],
                                 pad_top: t.pads[0], pad_left: t.pads[1], pad_bottom: t.pads[2], pad_right: t.pads[3])
        var ep = edge_dw_epilogue(act: edge_activation(kind: Int(t.act.rawValue), alpha: t.alpha, beta: t.beta))
        // A sentinel past the output and past the scratch: nothing writes outside its buffer.
        let outCount = ref.values.count, scratchCount = edge_dw_scratch_floats(&g)
        var y = [Float](repeating: 0, count: outCount + 8)
        var scratch = [Float](repeating: .nan, count: scratchCount + 8)
        for i in 0..<8 { y[outCount + i] = 12345; scratch[scratchCount + i] = 12345 }
        edge_pool_set_current(pool)
        y.withUnsafeMutableBufferPointer { yp in
            scratch.withUnsafeMutableBufferPointer { sp in
                edge_dw_conv(kernel, &g, m, t.mult, x, wt, b, &ep, yp.baseAddress!, sp.baseAddress!)
            }
        }
        edge_pool_set_current(nil)
        let name = String(cString: kernel.pointee.name)
        assertClose(Array(y[0..<outCount]), ref.values, tolerance: 1e-5, "\(name) \(t)")
        XCTAssertEqual(Array(y[outCount...]), [Float](repeating: 12345, count: 8), "\(name) wrote past Y: \(t)")
        XCTAssertEqual(Array(scratch[scratchCount...]), [Float](repeating: 12345, count: 8),
                       "\(name) wrote past its scratch: \(t)")
    }

    func testEveryKernelAgainstTheReference() {
        XCTAssertGreaterThanOrEqual(edge_dw_kernel_count(), 2, "the portable and the scalar kernels at least")
        for i in 0..<edge_dw_kernel_count() {
            guard let kernel = edge_dw_kernel_at(i) else { return XCTFail("no kernel \(i)") }
            var rng = SeededRNG(seed: 0xD3 + UInt64(i))
            for _ in 0..<300 { check(DepthwiseKernelTests.randomCase(&rng), kernel: kernel, pool: nil, &rng) }
        }
    }

    /// The channel split over a pool: MobileNet-sized planes (above the parallel
    /// threshold) and random ones, on 2 and 3 threads, every kernel.
    func testSplitOverThreads() {
        for threads in [2, 3] {
            guard let pool = edge_pool_create(Int32(threads), edge_gemm_max_scratch_floats()) else {
                return XCTFail("no pool")
            }
            defer { edge_pool_destroy(pool) }
            for i in 0..<edge_dw_kernel_count() {
                guard let kernel = edge_dw_kernel_at(i) else { return XCTFail("no kernel \(i)") }
                var rng = SeededRNG(seed: 0x7D + UInt64(i))
                for (size, stride, k) in [(56, 1, 3), (56, 2, 3), (28, 1, 5), (14, 2, 5), (7, 1, 3)] {
                    var t = Case(c: rng.int(7...33), mult: 1, h: size, w: size)
                    t.kernel = [k, k]
                    t.strides = [stride, stride]
                    t.pads = [k / 2, k / 2, k / 2, k / 2]
                    t.act = .clip
                    t.alpha = 0
                    t.beta = 6
                    check(t, kernel: kernel, pool: pool, &rng)
                }
                for _ in 0..<40 { check(DepthwiseKernelTests.randomCase(&rng), kernel: kernel, pool: pool, &rng) }
            }
        }
    }
}
