import CEdgeSupport

// x86-64 only: the device build (aarch64) carries no code for it.
#if arch(x86_64)
/// Direct convolution for one-group convs with at most `EDGE_DC_MAX_CHANNELS` input
/// channels (network stems on RGB input), dilation 1: the C kernel `edge_direct_conv.c`
/// (scheme in its header) on x86-64 with AVX2+FMA. On other targets `applies` is false
/// and the conv stays on im2col.
struct DirectConv {
    var geometry: edge_dc_geometry

    init(channels: Int, outChannels: Int, h: WindowAxis, w: WindowAxis) {
        geometry = edge_dc_geometry(
            channels: channels, out_channels: outChannels, in_h: h.input, in_w: w.input,
            out_h: h.output, out_w: w.output, kernel_h: h.kernel, kernel_w: w.kernel,
            stride_h: h.stride, stride_w: w.stride,
            pad_top: h.padBefore, pad_left: w.padBefore, pad_bottom: h.padAfter, pad_right: w.padAfter)
    }

    /// Whether this CPU's direct kernel takes the conv (`groups` and dilations are the
    /// layer's: the kernel has neither; 1×1 convs stay on the GEMM, which reads X as is).
    static func applies(channels: Int, outChannels: Int, groups: Int, h: WindowAxis, w: WindowAxis) -> Bool {
        guard groups == 1, h.dilation == 1, w.dilation == 1, h.kernel * w.kernel > 1 else { return false }
        var g = DirectConv(channels: channels, outChannels: outChannels, h: h, w: w).geometry
        return edge_dc_supported(&g) != 0
    }

    var scratchFloats: Int {
        var g = geometry
        return edge_dc_scratch_floats(&g)
    }

    /// One image: `y` from `x` and W [M, C, kH, kW].
    func run(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
             activation: Activation, scratch: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        var act = activation.c
        var g = geometry
        edge_dc_conv(&g, x, weights, bias, &act, y, scratch)
    }
}
#endif
