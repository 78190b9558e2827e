import CEdgeSupport
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// Throughput report of the conv paths on ResNet-18 / MobileNetV2 shapes. Not a test:
/// it measures and prints, asserts nothing about speed, and is skipped unless EDGE_BENCH
/// is set. Run by hand in release mode, single-threaded BLAS:
///
///     swift build -c release -Xswiftc -enable-testing --product EdgePackageTests
///     EDGE_BENCH=1 OPENBLAS_NUM_THREADS=1 swift test -c release -Xswiftc -enable-testing \
///         --skip-build --filter ConvBenchmarkTests
///
/// (`-enable-testing` because other test files use `@testable import`.) Each line shows
/// the layer's GFLOP/s (bias + ReLU included), and for the GEMM paths the bare sgemm of
/// the same M×N×K: the gap is what im2col and the epilogue cost.
final class ConvBenchmarkTests: XCTestCase {
    struct Shape {
        var label: String
        var c: Int, size: Int, m: Int, k: Int, stride: Int, pad: Int, group: Int
    }

    static let shapes: [Shape] = [
        Shape(label: "resnet conv1 3->64 7x7 s2 224", c: 3, size: 224, m: 64, k: 7, stride: 2, pad: 3, group: 1),
        Shape(label: "resnet 64->64 3x3 56", c: 64, size: 56, m: 64, k: 3, stride: 1, pad: 1, group: 1),
        Shape(label: "resnet 128->128 3x3 28", c: 128, size: 28, m: 128, k: 3, stride: 1, pad: 1, group: 1),
        Shape(label: "resnet 256->256 3x3 14", c: 256, size: 14, m: 256, k: 3, stride: 1, pad: 1, group: 1),
        Shape(label: "resnet 512->512 3x3 7", c: 512, size: 7, m: 512, k: 3, stride: 1, pad: 1, group: 1),
        Shape(label: "resnet 64->128 3x3 s2 56", c: 64, size: 56, m: 128, k: 3, stride: 2, pad: 1, group: 1),
        Shape(label: "resnet 64->128 1x1 s2 56", c: 64, size: 56, m: 128, k: 1, stride: 2, pad: 0, group: 1),
        Shape(label: "1x1 64->256 56", c: 64, size: 56, m: 256, k: 1, stride: 1, pad: 0, group: 1),
        Shape(label: "mbv2 1x1 24->144 56", c: 24, size: 56, m: 144, k: 1, stride: 1, pad: 0, group: 1),
        Shape(label: "mbv2 1x1 144->24 56", c: 144, size: 56, m: 24, k: 1, stride: 1, pad: 0, group: 1),
        Shape(label: "mbv2 1x1 960->320 7", c: 960, size: 7, m: 320, k: 1, stride: 1, pad: 0, group: 1),
        Shape(label: "mbv2 dw 32 112 s1", c: 32, size: 112, m: 32, k: 3, stride: 1, pad: 1, group: 32),
        Shape(label: "mbv2 dw 96 112 s2", c: 96, size: 112, m: 96, k: 3, stride: 2, pad: 1, group: 96),
        Shape(label: "mbv2 dw 144 56 s1", c: 144, size: 56, m: 144, k: 3, stride: 1, pad: 1, group: 144),
        Shape(label: "mbv2 dw 144 56 s2", c: 144, size: 56, m: 144, k: 3, stride: 2, pad: 1, group: 144),
        Shape(label: "mbv2 dw 192 28 s1", c: 192, size: 28, m: 192, k: 3, stride: 1, pad: 1, group: 192),
        Shape(label: "mbv2 dw 192 28 s2", c: 192, size: 28, m: 192, k: 3, stride: 2, pad: 1, group: 192),
        Shape(label: "mbv2 dw 384 14 s1", c: 384, size: 14, m: 384, k: 3, stride: 1, pad: 1, group: 384),
        Shape(label: "mbv2 dw 576 14 s2", c: 576, size: 14, m: 576, k: 3, stride: 2, pad: 1, group: 576),
        Shape(label: "mbv2 dw 960 7 s1", c: 960, size: 7, m: 960, k: 3, stride: 1, pad: 1, group: 960),
        Shape(label: "dw 5x5 s1 (generic) 144 28", c: 144, size: 28, m: 144, k: 5, stride: 1, pad: 2, group: 144),
        Shape(label: "dw 3x3 d2 (generic) 144 28", c: 144, size: 28, m: 144, k: 3, stride: 1, pad: 2, group: 144),
    ]

    /// Best-of-repeats seconds for `body`, after a warm-up call.
    func time(_ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        var total = 0.0
        var runs = 0
        while total < 0.4 || runs < 5 {
            let t0 = edge_now_ns()
            body()
            let dt = Double(edge_now_ns() - t0) * 1e-9
            best = Swift.min(best, dt)
            total += dt
            runs += 1
        }
        return best
    }

    func pad(_ s: String) -> String { s + String(repeating: " ", count: Swift.max(0, 34 - s.count)) }

    func testReportConvThroughput() throws {
        guard getenv("EDGE_BENCH") != nil else { throw XCTSkip("set EDGE_BENCH=1 to run the conv benchmark") }
        var rng = SeededRNG(seed: 1)
        // Reference point: a square sgemm.
        let n = 512
        let a = makeRandomTensor(shape: [n, n], rng: &rng), b = makeRandomTensor(shape: [n, n], rng: &rng)
        let c = makeTensor(shape: [n, n])
        let peakSeconds = time {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                        a.data, Int32(n), b.data, Int32(n), 0, c.data, Int32(n))
        }
        let peak = 2 * Double(n * n * n) / peakSeconds * 1e-9
        print(pad("sgemm 512^3") + String(format: " %8.1f GFLOP/s", peak))

        for s in ConvBenchmarkTests.shapes {
            let dilation = s.label.contains("d2") ? 2 : 1
            let out = (s.size + 2 * s.pad - (s.k - 1) * dilation - 1) / s.stride + 1
            let x = makeRandomTensor(shape: [1, s.c, s.size, s.size], rng: &rng)
            let w = makeRandomTensor(shape: [s.m, s.c / s.group, s.k, s.k], rng: &rng)
            let bias = makeRandomTensor(shape: [s.m], rng: &rng)
            let y = makeTensor(shape: [1, s.m, out, out])
            let window = Window2D(kernel: [s.k, s.k], strides: [s.stride, s.stride], dilations: [dilation, dilation],
                                  pads: [s.pad, s.pad, s.pad, s.pad])
            let params = ConvParams(activation: FusedActivation(.relu), group: Int64(s.group), window: window)
            let op = makeOp(.conv, inputs: [x, w, bias], outputs: [y], params: params)
            let layer = try buildLayer(op, inputs: [x, w, bias], outputs: [y])
            let scratch = makeTensor(shape: [layer.scratchFloats])
            let seconds = time { layer.run(scratch: scratch.data) }
            let gflops = Double(layer.flops) / seconds * 1e-9

            // The bare GEMM of the same size, for the GEMM paths: what im2col costs on top.
            var gemmNote = ""
            if s.group == 1 {
                let mm = s.m, nn = out * out, kk = s.c * s.k * s.k
                let ga = makeRandomTensor(shape: [mm, kk], rng: &rng), gb = makeRandomTensor(shape: [kk, nn], rng: &rng)
                let gc = makeTensor(shape: [mm, nn])
                let gs = time {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(mm), Int32(nn), Int32(kk), 1,
                                ga.data, Int32(kk), gb.data, Int32(nn), 0, gc.data, Int32(nn))
                }
                gemmNote = String(format: "  (bare sgemm %d x %d x %d: %.1f)", mm, nn, kk,
                                  2 * Double(mm * nn * kk) / gs * 1e-9)
            }
            print(pad(s.label) + String(format: " %8.1f GFLOP/s  %7.3f ms  %3.0f%% of peak",
                                        gflops, seconds * 1e3, 100 * gflops / peak) + gemmNote)
        }
    }
}
