import CEdgeSupport

extension edge_conv_geometry {
    /// One group's geometry: `channels` input channels over the window axes `h`, `w`.
    init(channels: Int, h: WindowAxis, w: WindowAxis) {
        self.init(channels: channels, in_h: h.input, in_w: w.input, out_h: h.output, out_w: w.output,
                  k_h: h.kernel, k_w: w.kernel, stride_h: h.stride, stride_w: w.stride,
                  dil_h: h.dilation, dil_w: w.dilation, pad_top: h.padBefore, pad_left: w.padBefore)
    }
}

/// One group of a conv as a single GEMM whose right operand is packed straight from X
/// (edge_conv_pack.h): `Y_g = act(W_g * im2col(X_g) + bias)` without the im2col matrix.
/// Split over the running interpreter's threads like `packedGemm`; `scratch` holds
/// `packedGemmScratch(kernel, n: outputs, depth: K)` floats.
@inline(__always)
func convGemm(_ kernel: UnsafePointer<edge_gemm_kernel>, m: Int, left: UnsafePointer<Float>,
              geometry: edge_conv_geometry, x: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
              bias: UnsafePointer<Float>?, activation: Activation, scratch: UnsafeMutablePointer<Float>) {
    var ep = edge_gemm_epilogue(bias: bias, residual: nil, act: activation.c, accumulate: 0)
    var g = geometry
    edge_conv_gemm_parallel(kernel, m, left, &g, x, c, &ep, scratch)
}
