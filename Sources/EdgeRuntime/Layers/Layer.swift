import EdgeFormat

/// The surface every op type offers the interpreter. Used as a generic constraint only
/// (never as an existential), so dispatch stays a switch over `Layer`.
///
/// Every layer type is a `final class`: one object built at load and shared by reference,
/// so storing it in a `Layer` or switching over one to run it copies no fields (as a
/// struct payload did: outlined copies and retains of every array and buffer it holds;
/// -2.3 KB of device code with `Layer` no longer `indirect`). A layer is immutable after
/// `init`, so sharing it is safe.
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
/// A new layer kind is a case here, its op codes' arms in `init` and `supports`, and its
/// arm in `accept`, each inside its `#if`.
///
/// Operator selection (TFLite Micro's op resolver, at compile time): a build that defines
/// `EDGE_OP_SELECTION` has only the layers whose op codes it defines as `EDGE_OP_<name>`
/// (`make -C Firmware OPS=conv,gemm` or `OPS_FROM=model.edgm`). Nothing references the
/// other layer types, so the linker drops their code, and a model that needs one is
/// refused at load (`checkSupported`). The host build defines neither: every op is in.
public enum Layer {
#if !EDGE_OP_SELECTION || EDGE_OP_conv
    case conv(ConvLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_convTranspose
    case convTranspose(ConvTransposeLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_gemm
    case gemm(GemmLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_matMul
    case matMul(MatMulLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_maxPool
    case maxPool(MaxPoolLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_averagePool
    case averagePool(AveragePoolLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_globalAveragePool || EDGE_OP_globalMaxPool
    case globalPool(GlobalPoolLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_binary
    case binary(BinaryLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_unary
    case unary(UnaryLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_channelAffine
    case channelAffine(ChannelAffineLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_concat
    case concat(ConcatLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_split
    case split(SplitLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_slice
    case slice(SliceLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_copy
    case copy(CopyLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_transpose
    case transpose(TransposeLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_pad
    case pad(PadLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_resize
    case resize(ResizeLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_softmax
    case softmax(SoftmaxLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_lrn
    case lrn(LRNLayer)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_reduceMean
    case reduceMean(ReduceMeanLayer)
#endif

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        switch op.code {
#if !EDGE_OP_SELECTION || EDGE_OP_conv
        case .conv: self = .conv(try ConvLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_convTranspose
        case .convTranspose: self = .convTranspose(try ConvTransposeLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_gemm
        case .gemm: self = .gemm(try GemmLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_matMul
        case .matMul: self = .matMul(try MatMulLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_maxPool
        case .maxPool: self = .maxPool(try MaxPoolLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_averagePool
        case .averagePool: self = .averagePool(try AveragePoolLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_globalAveragePool
        case .globalAveragePool: self = .globalPool(try GlobalPoolLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_globalMaxPool
        case .globalMaxPool: self = .globalPool(try GlobalPoolLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_binary
        case .binary: self = .binary(try BinaryLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_unary
        case .unary: self = .unary(try UnaryLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_channelAffine
        case .channelAffine: self = .channelAffine(try ChannelAffineLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_concat
        case .concat: self = .concat(try ConcatLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_split
        case .split: self = .split(try SplitLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_slice
        case .slice: self = .slice(try SliceLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_copy
        case .copy: self = .copy(try CopyLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_transpose
        case .transpose: self = .transpose(try TransposeLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_pad
        case .pad: self = .pad(try PadLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_resize
        case .resize: self = .resize(try ResizeLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_softmax
        case .softmax: self = .softmax(try SoftmaxLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_lrn
        case .lrn: self = .lrn(try LRNLayer(op, inputs: inputs, outputs: outputs))
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_reduceMean
        case .reduceMean: self = .reduceMean(try ReduceMeanLayer(op, inputs: inputs, outputs: outputs))
#endif
#if EDGE_OP_SELECTION
        default: throw EdgeError(.unsupported, "op '\(op.name)' ('\(op.code.name)') is not in this build")
#endif
        }
    }

    /// Whether this build includes the layer that runs `code`.
    public static func supports(_ code: OpCode) -> Bool {
        switch code {
#if !EDGE_OP_SELECTION || EDGE_OP_conv
        case .conv: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_convTranspose
        case .convTranspose: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_gemm
        case .gemm: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_matMul
        case .matMul: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_maxPool
        case .maxPool: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_averagePool
        case .averagePool: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_globalAveragePool
        case .globalAveragePool: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_globalMaxPool
        case .globalMaxPool: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_binary
        case .binary: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_unary
        case .unary: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_channelAffine
        case .channelAffine: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_concat
        case .concat: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_split
        case .split: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_slice
        case .slice: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_copy
        case .copy: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_transpose
        case .transpose: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_pad
        case .pad: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_resize
        case .resize: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_softmax
        case .softmax: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_lrn
        case .lrn: return true
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_reduceMean
        case .reduceMean: return true
#endif
#if EDGE_OP_SELECTION
        default: return false
#endif
        }
    }

    /// Refuses, before any layer is built, a model that uses an op this build leaves out.
    static func checkSupported(_ codes: [OpCode]) throws(EdgeError) {
        for code in codes where !supports(code) {
            throw EdgeError(.unsupported, "the model uses op '\(code.name)', which this build leaves out (it has \(builtNames)); rebuild with it, e.g. make -C Firmware OPS_FROM=model.edgm")
        }
    }

    /// "conv,gemm,..." (only inside a message, so a STRIP_MESSAGES build does not link it).
    static var builtNames: String {
        var built = ""
        for c in OpCode.allCases where supports(c) { built += (built.isEmpty ? "" : ",") + c.name }
        return built
    }

    /// Calls `visitor` with the layer this case holds.
    @inline(__always)
    public func accept<V: LayerVisitor>(_ visitor: V) -> V.Result {
        switch self {
#if !EDGE_OP_SELECTION || EDGE_OP_conv
        case .conv(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_convTranspose
        case .convTranspose(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_gemm
        case .gemm(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_matMul
        case .matMul(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_maxPool
        case .maxPool(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_averagePool
        case .averagePool(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_globalAveragePool || EDGE_OP_globalMaxPool
        case .globalPool(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_binary
        case .binary(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_unary
        case .unary(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_channelAffine
        case .channelAffine(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_concat
        case .concat(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_split
        case .split(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_slice
        case .slice(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_copy
        case .copy(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_transpose
        case .transpose(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_pad
        case .pad(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_resize
        case .resize(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_softmax
        case .softmax(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_lrn
        case .lrn(let l): return visitor.visit(l)
#endif
#if !EDGE_OP_SELECTION || EDGE_OP_reduceMean
        case .reduceMean(let l): return visitor.visit(l)
#endif
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
