import EdgeFormat

/// A constant known at compile time: an initializer, a Constant node, or a folded value.
///
/// Integer tensors exist only at compile time (shape arithmetic); everything that reaches
/// the runtime is float32.
public struct HostTensor {
    public enum Data {
        case float([Float])
        case int([Int64])
    }

    public var shape: [Int]
    public var data: Data

    public init(shape: [Int], floats: [Float]) {
        self.shape = shape
        self.data = .float(floats)
    }

    public init(shape: [Int], ints: [Int64]) {
        self.shape = shape
        self.data = .int(ints)
    }

    public var count: Int { shape.reduce(1, *) }

    public var isInteger: Bool {
        if case .int = data { return true }
        return false
    }

    /// Values as floats (integers converted).
    public var floats: [Float] {
        switch data {
        case .float(let f): return f
        case .int(let i): return i.map { Float($0) }
        }
    }

    /// Values as integers (floats truncated toward zero, as ONNX Cast does).
    public var ints: [Int64] {
        switch data {
        case .int(let i): return i
        case .float(let f):
            // Saturate like a C cast would, without trapping on huge or NaN values.
            return f.map { v in
                guard v.isFinite else { return 0 }
                if v >= 9.2e18 { return Int64.max }
                if v <= -9.2e18 { return Int64.min }
                return Int64(v)
            }
        }
    }

    /// The single value of a scalar or one-element tensor.
    public var scalar: Float? { count == 1 ? floats[0] : nil }

    public init(_ t: OnnxTensor) {
        let shape = t.dims.map { Int($0) }
        switch t.data {
        case .float(let f): self.init(shape: shape, floats: f)
        case .int64(let i): self.init(shape: shape, ints: i)
        }
    }
}
