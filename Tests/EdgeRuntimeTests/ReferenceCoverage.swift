import EdgeFormat
import EdgeReference

/// Every op code has a plain reference kernel its layer is tested against: the switch is
/// exhaustive, so the tests do not build until a new op code names one. (A compile-time
/// check, hence no test method.)
enum ReferenceCoverage {
    static func reference(for code: OpCode) -> Any {
        switch code {
        case .conv: return ConvReference.conv
        case .convTranspose: return ConvReference.convTranspose
        case .gemm: return GemmReference.gemm
        case .matMul: return GemmReference.matMul
        case .channelAffine: return GemmReference.channelAffine
        case .maxPool: return PoolReference.maxPool
        case .averagePool: return PoolReference.averagePool
        case .globalAveragePool, .globalMaxPool: return PoolReference.globalPool
        case .binary: return referenceBinary
        case .unary: return referenceUnary
        case .concat: return referenceConcat
        case .split: return referenceSplit
        case .slice: return referenceSlice
        // A copy's reference is its input: ShapeOpKernelTests compares the bytes directly.
        case .copy: return { (x: [Float]) in x }
        case .transpose: return referenceTranspose
        case .pad: return referencePad
        case .resize: return referenceResize
        case .softmax: return referenceSoftmax
        case .lrn: return referenceLRN
        case .reduceMean: return referenceReduceMean
        }
    }
}
