/// Which kernel load chose for a layer ("winograd avx2-6x16", "depthwise", ...), for
/// `edgec bench` and `edgec inspect`. Empty for layers with a single implementation.
extension Layer {
    public var kernelChoice: String {
        switch self {
        case .conv(let l): return l.kernelChoice
        case .convTranspose: return "col2im " + GemmKernel.name
        case .gemm(let l): return l.kernelChoice
        case .matMul: return "gemm " + GemmKernel.name
        default: return ""
        }
    }
}

extension ConvLayer {
    public var kernelChoice: String {
        switch path {
        case .winograd: return "winograd " + GemmKernel.name
        case .pointwise: return "1x1 " + GemmKernel.name
        case .im2col: return "im2col " + GemmKernel.name
        case .depthwise: return "depthwise"
        }
    }
}

extension GemmLayer {
    public var kernelChoice: String { m == 1 ? "gemv" : "gemm " + GemmKernel.name }
}
