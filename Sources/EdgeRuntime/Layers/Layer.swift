import EdgeFormat

/// The surface every op type offers the interpreter. Used as a generic constraint only
/// (never as an existential), so dispatch stays a switch over `Layer`.
public protocol LayerKernel {
    /// Validates the record against the tensors' shapes and resolves everything `run`
    /// needs. Allocation is allowed here (load time), never in `run`.
    init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError)
    /// Floats of scratch memory `run` needs (im2col columns, ...); 0 if none.
    var scratchFloats: Int { get }
    /// Floating-point operations of one run (a multiply-add counts 2), for reports.
    var flops: Int { get }
    /// Computes the outputs. Must not allocate.
    func run(scratch: UnsafeMutablePointer<Float>)
}

/// One executable op of a loaded model. An enum rather than `[any LayerKernel]`:
/// Embedded Swift has no existentials of non-class protocols, and a switch is cheap.
public enum Layer {
    case conv(ConvLayer)
    case convTranspose(ConvTransposeLayer)
    case gemm(GemmLayer)
    case matMul(MatMulLayer)
    case maxPool(MaxPoolLayer)
    case averagePool(AveragePoolLayer)
    case globalPool(GlobalPoolLayer)
    case binary(BinaryLayer)
    case unary(UnaryLayer)
    case channelAffine(ChannelAffineLayer)
    case concat(ConcatLayer)
    case split(SplitLayer)
    case slice(SliceLayer)
    case copy(CopyLayer)
    case transpose(TransposeLayer)
    case pad(PadLayer)
    case resize(ResizeLayer)
    case softmax(SoftmaxLayer)
    case lrn(LRNLayer)
    case reduceMean(ReduceMeanLayer)

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        switch op.code {
        case .conv: self = .conv(try ConvLayer(op, inputs: inputs, outputs: outputs))
        case .convTranspose: self = .convTranspose(try ConvTransposeLayer(op, inputs: inputs, outputs: outputs))
        case .gemm: self = .gemm(try GemmLayer(op, inputs: inputs, outputs: outputs))
        case .matMul: self = .matMul(try MatMulLayer(op, inputs: inputs, outputs: outputs))
        case .maxPool: self = .maxPool(try MaxPoolLayer(op, inputs: inputs, outputs: outputs))
        case .averagePool: self = .averagePool(try AveragePoolLayer(op, inputs: inputs, outputs: outputs))
        case .globalAveragePool, .globalMaxPool:
            self = .globalPool(try GlobalPoolLayer(op, inputs: inputs, outputs: outputs))
        case .binary: self = .binary(try BinaryLayer(op, inputs: inputs, outputs: outputs))
        case .unary: self = .unary(try UnaryLayer(op, inputs: inputs, outputs: outputs))
        case .channelAffine: self = .channelAffine(try ChannelAffineLayer(op, inputs: inputs, outputs: outputs))
        case .concat: self = .concat(try ConcatLayer(op, inputs: inputs, outputs: outputs))
        case .split: self = .split(try SplitLayer(op, inputs: inputs, outputs: outputs))
        case .slice: self = .slice(try SliceLayer(op, inputs: inputs, outputs: outputs))
        case .copy: self = .copy(try CopyLayer(op, inputs: inputs, outputs: outputs))
        case .transpose: self = .transpose(try TransposeLayer(op, inputs: inputs, outputs: outputs))
        case .pad: self = .pad(try PadLayer(op, inputs: inputs, outputs: outputs))
        case .resize: self = .resize(try ResizeLayer(op, inputs: inputs, outputs: outputs))
        case .softmax: self = .softmax(try SoftmaxLayer(op, inputs: inputs, outputs: outputs))
        case .lrn: self = .lrn(try LRNLayer(op, inputs: inputs, outputs: outputs))
        case .reduceMean: self = .reduceMean(try ReduceMeanLayer(op, inputs: inputs, outputs: outputs))
        }
    }

    @inline(__always)
    public func run(scratch: UnsafeMutablePointer<Float>) {
        switch self {
        case .conv(let l): l.run(scratch: scratch)
        case .convTranspose(let l): l.run(scratch: scratch)
        case .gemm(let l): l.run(scratch: scratch)
        case .matMul(let l): l.run(scratch: scratch)
        case .maxPool(let l): l.run(scratch: scratch)
        case .averagePool(let l): l.run(scratch: scratch)
        case .globalPool(let l): l.run(scratch: scratch)
        case .binary(let l): l.run(scratch: scratch)
        case .unary(let l): l.run(scratch: scratch)
        case .channelAffine(let l): l.run(scratch: scratch)
        case .concat(let l): l.run(scratch: scratch)
        case .split(let l): l.run(scratch: scratch)
        case .slice(let l): l.run(scratch: scratch)
        case .copy(let l): l.run(scratch: scratch)
        case .transpose(let l): l.run(scratch: scratch)
        case .pad(let l): l.run(scratch: scratch)
        case .resize(let l): l.run(scratch: scratch)
        case .softmax(let l): l.run(scratch: scratch)
        case .lrn(let l): l.run(scratch: scratch)
        case .reduceMean(let l): l.run(scratch: scratch)
        }
    }

    public var scratchFloats: Int {
        switch self {
        case .conv(let l): return l.scratchFloats
        case .convTranspose(let l): return l.scratchFloats
        case .gemm(let l): return l.scratchFloats
        case .matMul(let l): return l.scratchFloats
        case .maxPool(let l): return l.scratchFloats
        case .averagePool(let l): return l.scratchFloats
        case .globalPool(let l): return l.scratchFloats
        case .binary(let l): return l.scratchFloats
        case .unary(let l): return l.scratchFloats
        case .channelAffine(let l): return l.scratchFloats
        case .concat(let l): return l.scratchFloats
        case .split(let l): return l.scratchFloats
        case .slice(let l): return l.scratchFloats
        case .copy(let l): return l.scratchFloats
        case .transpose(let l): return l.scratchFloats
        case .pad(let l): return l.scratchFloats
        case .resize(let l): return l.scratchFloats
        case .softmax(let l): return l.scratchFloats
        case .lrn(let l): return l.scratchFloats
        case .reduceMean(let l): return l.scratchFloats
        }
    }

    public var flops: Int {
        switch self {
        case .conv(let l): return l.flops
        case .convTranspose(let l): return l.flops
        case .gemm(let l): return l.flops
        case .matMul(let l): return l.flops
        case .maxPool(let l): return l.flops
        case .averagePool(let l): return l.flops
        case .globalPool(let l): return l.flops
        case .binary(let l): return l.flops
        case .unary(let l): return l.flops
        case .channelAffine(let l): return l.flops
        case .concat(let l): return l.flops
        case .split(let l): return l.flops
        case .slice(let l): return l.flops
        case .copy(let l): return l.flops
        case .transpose(let l): return l.flops
        case .pad(let l): return l.flops
        case .resize(let l): return l.flops
        case .softmax(let l): return l.flops
        case .lrn(let l): return l.flops
        case .reduceMean(let l): return l.flops
        }
    }
}
