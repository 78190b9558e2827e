/// `lrn`. ints [size]; floats [alpha, beta, bias]
public struct LRNParams: OpRecord {
    public var size: Int64
    public var alpha: Float
    public var beta: Float
    public var bias: Float

    public init(size: Int64, alpha: Float, beta: Float, bias: Float) {
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.bias = bias
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 1, floats: 3)
        self.init(size: op.ints[0], alpha: op.floats[0], beta: op.floats[1], bias: op.floats[2])
    }

    public var ints: [Int64] { [size] }
    public var floats: [Float] { [alpha, beta, bias] }
}
