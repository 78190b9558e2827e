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

/// Something done to whichever layer a `Layer` holds (run it, ask its scratch size...):
/// the one switch over the layer kinds is `Layer.accept`, specialised per visitor.
public protocol LayerVisitor {
    associatedtype Result
    func visit<L: LayerKernel>(_ layer: L) -> Result
}

/// One executable op of a loaded model. An enum rather than `[any LayerKernel]`:
/// Embedded Swift has no existentials of non-class protocols, and a switch is cheap.
///
/// A new layer kind is a case here, its op codes' arm in `init` and its arm in `accept`.
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
        case .globalAveragePool, .globalMaxPool: self = .globalPool(try GlobalPoolLayer(op, inputs: inputs, outputs: outputs))
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

    /// Whether this build includes the layer that runs `code`.
    public static func supports(_ code: OpCode) -> Bool {
        switch code {
        case .conv, .convTranspose, .gemm, .matMul, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool,
             .binary, .unary, .channelAffine, .concat, .split, .slice, .copy, .transpose, .pad, .resize,
             .softmax, .lrn, .reduceMean:
            return true
        }
    }

    /// Refuses, before any layer is built, a model that uses an op this build leaves out.
    static func checkSupported(_ codes: [OpCode]) throws(EdgeError) {
        for code in codes where !supports(code) {
            var built = ""
            for c in OpCode.allCases where supports(c) { built += (built.isEmpty ? "" : ",") + c.name }
            throw EdgeError(.unsupported, "the model uses op '\(code.name)', which this build leaves out (it has \(built)); rebuild with it, e.g. make -C Firmware OPS_FROM=model.edgm")
        }
    }

    /// Calls `visitor` with the layer this case holds.
    @inline(__always)
    public func accept<V: LayerVisitor>(_ visitor: V) -> V.Result {
        switch self {
        case .conv(let l): return visitor.visit(l)
        case .convTranspose(let l): return visitor.visit(l)
        case .gemm(let l): return visitor.visit(l)
        case .matMul(let l): return visitor.visit(l)
        case .maxPool(let l): return visitor.visit(l)
        case .averagePool(let l): return visitor.visit(l)
        case .globalPool(let l): return visitor.visit(l)
        case .binary(let l): return visitor.visit(l)
        case .unary(let l): return visitor.visit(l)
        case .channelAffine(let l): return visitor.visit(l)
        case .concat(let l): return visitor.visit(l)
        case .split(let l): return visitor.visit(l)
        case .slice(let l): return visitor.visit(l)
        case .copy(let l): return visitor.visit(l)
        case .transpose(let l): return visitor.visit(l)
        case .pad(let l): return visitor.visit(l)
        case .resize(let l): return visitor.visit(l)
        case .softmax(let l): return visitor.visit(l)
        case .lrn(let l): return visitor.visit(l)
        case .reduceMean(let l): return visitor.visit(l)
        }
    }

    @inline(__always)
    public func run(scratch: UnsafeMutablePointer<Float>) {
        accept(Run(scratch: scratch))
    }

    public var scratchFloats: Int { accept(ScratchFloats()) }

    public var flops: Int { accept(Flops()) }

    struct Run: LayerVisitor {
        var scratch: UnsafeMutablePointer<Float>
        @inline(__always)
        func visit<L: LayerKernel>(_ layer: L) { layer.run(scratch: scratch) }
    }

    struct ScratchFloats: LayerVisitor {
        func visit<L: LayerKernel>(_ layer: L) -> Int { layer.scratchFloats }
    }

    struct Flops: LayerVisitor {
        func visit<L: LayerKernel>(_ layer: L) -> Int { layer.flops }
    }
}
