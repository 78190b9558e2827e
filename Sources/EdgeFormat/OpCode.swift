/// Operators of the runtime, as stored in the `.edgm` op list.
///
/// Each op record carries tensor ids (inputs, outputs), an `Int64` list and a `Float`
/// list. The layout of those lists is defined once per op by its params struct (named
/// below; OpRecord.swift and neighbours): the compiler builds the struct, the runtime's
/// layers decode it at load, Formats/EDGM.md describes the same layout for other readers. Shapes are never stored
/// in op records: every tensor's shape comes from the tensor table, so kernels take
/// output sizes from there (which is how `ceil_mode`, `Resize` sizes and `Slice`
/// bounds reach the runtime already resolved).
///
/// Ops with a fused activation (`FusedActivation`) keep it first: `ints[0]` the kind,
/// `floats[0...1]` alpha and beta; their own attributes follow.
/// Raw values are part of the file format: never renumber, only append.
public enum OpCode: UInt16, CaseIterable {
    /// in [X, W, B?] out [Y]; 2-D NCHW. W is [M, C/group, kH, kW]. `ConvParams`
    case conv = 1
    /// in [X, W, B?] out [Y]; W is [C, M/group, kH, kW] (ONNX layout). `ConvParams`
    /// (output_padding and output_shape are already resolved into Y's shape)
    case convTranspose = 2
    /// in [A, B, C?] out [Y]; Y = act(A' * B^T + C) with A' = transA ? A^T : A.
    /// B is pre-packed as [N, K]; ONNX alpha/beta are folded into B and C by the compiler.
    /// C holds 1, N or M*N elements (scalar, row bias, full matrix). `GemmParams`
    case gemm = 3
    /// in [A, B] out [Y]; numpy matmul, batch dims broadcast. `ActivationParams`
    case matMul = 4
    /// in [X] out [Y]. `MaxPoolParams`
    case maxPool = 5
    /// in [X] out [Y]. `AveragePoolParams`
    case averagePool = 6
    /// in [X] out [Y] ([N, C, 1, 1]). `NoParams`
    case globalAveragePool = 7
    /// in [X] out [Y] ([N, C, 1, 1]). `NoParams`
    case globalMaxPool = 8
    /// in [A, B] out [Y]; numpy broadcasting from the tensors' shapes.
    /// `BinaryParams`
    case binary = 9
    /// in [X] out [Y]. `UnaryParams`
    case unary = 10
    /// in [X, scale, shift] out [Y]: Y = act(X * scale[c] + shift[c]) over axis 1
    /// (a BatchNormalization that had no producer to fold into). `ActivationParams`
    case channelAffine = 11
    /// in [X0, X1, ...] out [Y]. `AxisParams`
    case concat = 12
    /// in [X] out [Y0, Y1, ...]; part sizes from the outputs' shapes. `AxisParams`
    case split = 13
    /// in [X] out [Y]; Y[i] = X[start + i * step] per dim, Y's shape gives the counts.
    /// `SliceParams` (a start and a step per dim of X; steps may be negative)
    case slice = 14
    /// in [X] out [Y]; same element count, bytes copied (Reshape/Flatten/Squeeze/Unsqueeze
    /// that the memory planner could not alias). `NoParams`
    case copy = 15
    /// in [X] out [Y]. `TransposeParams`
    case transpose = 16
    /// in [X] out [Y]. `PadParams` (a `PadMode`, non-negative begins and ends per dim, a value)
    case pad = 17
    /// in [X] out [Y]; 2-D resize over the last two dims. `ResizeParams` (its scales are
    /// the ones ONNX uses in the coordinate transform: given scales, or out/in).
    case resize = 18
    /// in [X] out [Y]; softmax along one axis (opset-13 semantics). `AxisParams`
    case softmax = 19
    /// in [X] out [Y]; across channels. `LRNParams`
    case lrn = 20
    /// in [X] out [Y]; mean over the listed axes; Y's shape says whether dims are kept.
    /// `ReduceMeanParams` (non-negative, ascending axes)
    case reduceMean = 21

    /// The case name: in messages, `edgec inspect --ops` and the firmware's `OPS=` list.
    /// (A switch: Embedded Swift has no reflection to print a case.)
    public var name: String {
        switch self {
        case .conv: return "conv"
        case .convTranspose: return "convTranspose"
        case .gemm: return "gemm"
        case .matMul: return "matMul"
        case .maxPool: return "maxPool"
        case .averagePool: return "averagePool"
        case .globalAveragePool: return "globalAveragePool"
        case .globalMaxPool: return "globalMaxPool"
        case .binary: return "binary"
        case .unary: return "unary"
        case .channelAffine: return "channelAffine"
        case .concat: return "concat"
        case .split: return "split"
        case .slice: return "slice"
        case .copy: return "copy"
        case .transpose: return "transpose"
        case .pad: return "pad"
        case .resize: return "resize"
        case .softmax: return "softmax"
        case .lrn: return "lrn"
        case .reduceMean: return "reduceMean"
        }
    }
}

/// Fused activation applied in a producer's epilogue (or by `OpCode.unary`).
public enum ActivationKind: Int64, CaseIterable {
    case none = 0
    case relu = 1
    /// min(max(x, alpha), beta): Clip and Relu6.
    case clip = 2
    /// x >= 0 ? x : alpha * x
    case leakyRelu = 3
    /// max(0, min(1, alpha * x + beta))
    case hardSigmoid = 4
    /// x * max(0, min(1, alpha * x + beta)); ONNX HardSwish is alpha = 1/6, beta = 0.5.
    case hardSwish = 5
    case sigmoid = 6
    /// x * sigmoid(x) (SiLU), the fused form of Mul(x, Sigmoid(x)).
    case swish = 7
    case tanh = 8
}

/// `OpCode.unary` kinds: every `ActivationKind` (same raw values) plus these.
public enum UnaryKind: Int64, CaseIterable {
    case relu = 1, clip = 2, leakyRelu = 3, hardSigmoid = 4, hardSwish = 5, sigmoid = 6, swish = 7, tanh = 8
    case sqrt = 20
    case exp = 21
    case log = 22
    case neg = 23
    case abs = 24
    case reciprocal = 25
    /// x ^ alpha (Pow with a scalar constant exponent).
    case powScalar = 26
    /// x >= 0 ? x : alpha * (exp(x) - 1)
    case elu = 27
    /// beta * (x > 0 ? x : alpha * (exp(x) - 1)) (Selu: alpha, gamma)
    case selu = 28
    /// log(1 + exp(x))
    case softplus = 29
}

public enum BinaryKind: Int64, CaseIterable {
    case add = 0, sub = 1, mul = 2, div = 3, pow = 4, max = 5, min = 6
    /// a >= 0 ? a : a * b (PRelu, b the slope).
    case prelu = 7
}

public enum PadMode: Int64, CaseIterable {
    case constant = 0, reflect = 1, edge = 2
}

public enum ResizeMode: Int64, CaseIterable {
    case nearest = 0, linear = 1
}

public enum ResizeCoordinateTransform: Int64, CaseIterable {
    case halfPixel = 0, asymmetric = 1, alignCorners = 2, pytorchHalfPixel = 3
}

public enum ResizeNearestMode: Int64, CaseIterable {
    case roundPreferFloor = 0, roundPreferCeil = 1, floor = 2, ceil = 3
}
