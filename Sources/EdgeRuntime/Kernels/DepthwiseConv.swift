import CEdgeSupport
import EdgeFormat

/// Direct convolution for convs with one input channel per group (depthwise, with any
/// channel multiplier): any kernel size, stride, dilation and pads.
///
/// The kernels are C (`edge_depthwise.c`, scheme in `edge_depthwise.h`): a zero-padded
/// copy of each plane, then branch-free vector row loops (8 outputs per step with
/// AVX2+FMA, chosen at run time; 4 with SSE2/NEON; fully unrolled 3×3), bias and the
/// activation (any kind, edge_activation.h) in the store, and the channels split over
/// the thread pool. Why C and not Swift SIMD: the x86-64 baseline Swift build has no FMA and no
/// 8-wide vectors, and the ISA is picked per CPU at run time like the GEMM's.
struct DepthwiseConv {
    var geometry: edge_dw_geometry
    let kernel: UnsafePointer<edge_dw_kernel>

    init(h: WindowAxis, w: WindowAxis, kernel: UnsafePointer<edge_dw_kernel> = DepthwiseConv.best) {
        geometry = edge_dw_geometry(
            in_h: h.input, in_w: w.input, out_h: h.output, out_w: w.output,
            kernel_h: h.kernel, kernel_w: w.kernel, stride_h: h.stride, stride_w: w.stride,
            dilation_h: h.dilation, dilation_w: w.dilation,
            pad_top: h.padBefore, pad_left: w.padBefore, pad_bottom: h.padAfter, pad_right: w.padAfter)
        self.kernel = kernel
    }

    /// The fastest kernel this CPU runs.
    static var best: UnsafePointer<edge_dw_kernel> {
        guard let k = edge_dw_best() else { fatalError("edge_dw_best returned no kernel") }
        return k
    }

    /// Floats of scratch one thread needs: the padded plane and its slack.
    var scratchFloats: Int {
        var g = geometry
        return edge_dw_scratch_floats(&g)
    }

    /// All `channels` output planes of one image: plane `oc` of `y` from plane
    /// `oc / multiplier` of `x` and filter `oc` (kH*kW weights, row-major) of `weights`.
    func run(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
             channels: Int, multiplier: Int, activation: Activation,
             scratch: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        var ep = edge_dw_epilogue(act: activation.c)
        var g = geometry
        withUnsafePointer(to: &ep) { e in
            edge_dw_conv(kernel, &g, channels, multiplier, x, weights, bias, e, y, scratch)
        }
    }
}
