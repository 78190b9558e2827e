import EdgeFormat

/// A tensor as a layer sees it: a fixed address (inside the arena, or inside the mapped
/// weights) and its shape. Addresses never move after load, so layers resolve them once.
public struct TensorRef {
    public var data: UnsafeMutablePointer<Float>
    public var shape: [Int]
    /// The values never change after load (a weight of the file): a layer may then
    /// repack them once at load instead of on every run.
    public var isConstant: Bool

    public init(data: UnsafeMutablePointer<Float>, shape: [Int], isConstant: Bool = false) {
        self.data = data
        self.shape = shape
        self.isConstant = isConstant
    }

    public var count: Int {
        var n = 1
        for d in shape { n &*= d }
        return n
    }
}
