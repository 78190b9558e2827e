import EdgeFormat

// PLACEHOLDER: replaced by the real kernel; throws so a model using it fails loudly.
public struct ConcatLayer: LayerKernel {
    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        throw EdgeError(.unsupported, "op '\(op.name)': Concat is not implemented yet")
    }
    public var scratchFloats: Int { 0 }
    public var flops: Int { 0 }
    public func run(scratch: UnsafeMutablePointer<Float>) {}
}
