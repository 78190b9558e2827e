/// Which kernel load chose for a layer ("winograd-f4 avx2-6x16", "depthwise", ...), for
/// `edgec bench` and `edgec inspect`. Empty for layers with a single implementation.
extension Layer {
    public var kernelChoice: String {
        switch self {
        // Each arm under the same condition as its case in Layer.swift (device op selection).
#if !EDGE_OP_SELECTION || EDGE_OP_conv
        case .conv(let l): return l.kernelChoice
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_convTranspose
        case .convTranspose: return "col2im " + GemmKernel.name
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_gemm
        case .gemm(let l): return l.kernelChoice
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_matMul
        case .matMul: return "gemm " + GemmKernel.name
#endif
        default: return ""
        }
    }
}

extension ConvLayer {
    public var kernelChoice: String {
        switch path {
        case .winogradF4: return "winograd-f4 " + GemmKernel.name
        case .winograd: return "winograd-f2 " + GemmKernel.name
        case .pointwise: return h.output * w.output == 1 ? "1x1 gemv" : "1x1 " + GemmKernel.name
        case .im2col: return "im2col " + GemmKernel.name
        case .depthwise: return "depthwise"
#if arch(x86_64)
        case .direct: return "direct"
#endif
        }
    }

    /// The kernel family this conv needs linked under kernel selection (`EDGE_CONV_<name>`,
    /// `edgec inspect --conv-kernels`), or nil for the general paths every build has.
    public var selectableKernel: String? {
        switch path {
        case .winogradF4, .winograd: return "winograd"
        case .depthwise: return "depthwise"
        case .pointwise, .im2col: return nil
#if arch(x86_64)
        case .direct: return nil   // x86-64 only: never in a device build
#endif
        }
    }
}

extension GemmLayer {
    public var kernelChoice: String { m == 1 ? "gemv" : "gemm " + GemmKernel.name }
}
