import EdgeFormat

/// A tensor as a layer sees it: a fixed address (inside the arena, or inside the mapped
/// weights) and its shape. Addresses never move after load, so layers resolve them once.
public struct TensorRef {
    public var data: UnsafeMutablePointer<Float>
    public var shape: [Int]

    public init(data: UnsafeMutablePointer<Float>, shape: [Int]) {
        self.data = data
        self.shape = shape
    }

    public var count: Int {
        var n = 1
        for d in shape { n &*= d }
        return n
    }
}
