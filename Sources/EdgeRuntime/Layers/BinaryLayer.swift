import CEdgeSupport
import EdgeFormat

/// Elementwise `Y = act(A op B)` with numpy broadcasting (Add, Sub, Mul, Div, Pow, Max,
/// Min). Y may be the same buffer as a full-size operand (not as a broadcast one: a
/// vector or scalar operand is read while Y is being written).
public final class BinaryLayer: LayerKernel {
    /// How `run` walks the operands; chosen once from the collapsed broadcast plan.
    public enum Path: Equatable {
        /// Both operands have Y's shape: one flat loop.
        case sameShape
        /// A (or B) is a single element.
        case scalarA, scalarB
        /// A (or B) is a vector along one axis of Y, the other operand is full size:
        /// `[N,C,H,W] op [1,C,1,1]` or `[C,1,1]`, a bias row `[M,N] op [N]`, a column `[M,1]`.
        case vectorA, vectorB
        /// Anything else: strided loops over the collapsed dims.
        case general
    }

    public let kind: BinaryKind
    public let activation: Activation
    public let path: Path
    let a: UnsafePointer<Float>
    let b: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let count: Int
    /// Vector paths: the full operand is `[outer, channels, inner]`, the vector `[channels]`.
    let outer: Int, channels: Int, inner: Int
    /// General path: `dims`, then A strides, B strides and Y strides (rank each).
    let table: KernelTable<Int>
    let rank: Int

    /// Largest output rank accepted (the general path recurses once per collapsed dim).
    static let maxRank = 8

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 2)
        let params = try BinaryParams(op)
        activation = params.activation
        kind = params.kind
        let ta = inputs[0]!, tb = inputs[1]!, ty = outputs[0]
        guard ty.shape.count <= BinaryLayer.maxRank else {
            throw EdgeError(.unsupported, "op '\(op.name)': rank \(ty.shape.count) is above \(BinaryLayer.maxRank)")
        }
        try SizeCheck.count(ta.shape, op: op, tensor: "A")
        try SizeCheck.count(tb.shape, op: op, tensor: "B")
        count = try SizeCheck.count(ty.shape, op: op, tensor: "Y")
        guard let plan = BroadcastPlan(a: ta.shape, b: tb.shape, output: ty.shape) else {
            throw EdgeError(.shape, "op '\(op.name)': \(SizeCheck.describe(ta.shape)) and "
                + "\(SizeCheck.describe(tb.shape)) do not broadcast to \(SizeCheck.describe(ty.shape))")
        }
        a = UnsafePointer(ta.data)
        b = UnsafePointer(tb.data)
        y = ty.data
        rank = plan.dims.count
        let denseA = plan.isDense(plan.aStrides), denseB = plan.isDense(plan.bStrides)
        var outer = 1, channels = 1, inner = 1
        if denseA && denseB {
            path = .sameShape
        } else if denseA && tb.count == 1 {
            path = .scalarB
        } else if denseB && ta.count == 1 {
            path = .scalarA
        } else if denseA, let axis = plan.vectorAxis(plan.bStrides) {
            path = .vectorB
            outer = Strides.product(plan.dims, 0..<axis)
            channels = plan.dims[axis]
            inner = Strides.product(plan.dims, axis + 1..<plan.dims.count)
        } else if denseB, let axis = plan.vectorAxis(plan.aStrides) {
            path = .vectorA
            outer = Strides.product(plan.dims, 0..<axis)
            channels = plan.dims[axis]
            inner = Strides.product(plan.dims, axis + 1..<plan.dims.count)
        } else {
            path = .general
        }
        self.outer = outer
        self.channels = channels
        self.inner = inner
        table = KernelTable(plan.dims + plan.aStrides + plan.bStrides + Strides.contiguous(plan.dims))
    }

    public var scratchFloats: Int { 0 }
    public var flops: Int { count }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        switch path {
        case .sameShape:
            var start = 0
            while start < count {
                let n = Swift.min(BinaryLayer.block, count - start)
                let py = y + start
                BinaryLayer.loop(kind, .pairs, a + start, b + start, py, n)
                activation.apply(py, count: n)
                start += n
            }
        case .scalarA:
            blocks(.scalarA, a, b, fullIsA: false)
        case .scalarB:
            blocks(.scalarB, a, b, fullIsA: true)
        case .vectorA:
            vector(full: b, vector: a, vectorIsA: true)
        case .vectorB:
            vector(full: a, vector: b, vectorIsA: false)
        case .general:
            general(dim: 0, a, b, y)
        }
    }

    /// Blocks of the flat paths: small enough that the activation pass finds them in L1.
    static let block = 2048

    /// A scalar operand against a full one, block by block.
    private func blocks(_ operands: Operands, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, fullIsA: Bool) {
        var start = 0
        while start < count {
            let n = Swift.min(BinaryLayer.block, count - start)
            let py = y + start
            BinaryLayer.loop(kind, operands, fullIsA ? a + start : a, fullIsA ? b : b + start, py, n)
            activation.apply(py, count: n)
            start += n
        }
    }

    /// `y[o, c, i] = full[o, c, i] op vector[c]` (operands swapped when the vector is A).
    private func vector(full: UnsafePointer<Float>, vector: UnsafePointer<Float>, vectorIsA: Bool) {
        var px = full, py = y
        for _ in 0..<outer {
            if inner == 1 {
                // Elementwise over a row: the operands keep their places.
                if vectorIsA {
                    BinaryLayer.loop(kind, .pairs, vector, px, py, channels)
                } else {
                    BinaryLayer.loop(kind, .pairs, px, vector, py, channels)
                }
                activation.apply(py, count: channels)
                px += channels
                py += channels
            } else {
                for c in 0..<channels {
                    if vectorIsA {
                        BinaryLayer.loop(kind, .scalarA, vector + c, px, py, inner)
                    } else {
                        BinaryLayer.loop(kind, .scalarB, px, vector + c, py, inner)
                    }
                    activation.apply(py, count: inner)
                    px += inner
                    py += inner
                }
            }
        }
    }

    /// One collapsed dim per recursion level; the innermost dim has stride 1 in at least
    /// one operand (collapsing guarantees it), so its three variants are plain loops.
    private func general(dim: Int, _ pa: UnsafePointer<Float>, _ pb: UnsafePointer<Float>,
                         _ py: UnsafeMutablePointer<Float>) {
        let n = table[dim], sa = table[rank + dim], sb = table[2 * rank + dim]
        if dim == rank - 1 {
            BinaryLayer.loop(kind, sa == 0 ? .scalarA : sb == 0 ? .scalarB : .pairs, pa, pb, py, n)
            activation.apply(py, count: n)
            return
        }
        let sy = table[3 * rank + dim]
        for i in 0..<n {
            general(dim: dim + 1, pa + i * sa, pb + i * sb, py + i * sy)
        }
    }
}

extension BinaryLayer {
    /// How the innermost loop reads its operands.
    enum Operands {
        /// `y[i] = a[i] op b[i]`.
        case pairs
        /// `y[i] = a[i] op b[0]`.
        case scalarB
        /// `y[i] = a[0] op b[i]`.
        case scalarA
    }

    /// The one switch over the kind, once per row or block: each arm is a loop
    /// specialised for its operation. Why here and not around the whole `run` (one copy
    /// of every path per kind): the paths are control code that does not get faster per
    /// kind, and eight copies of them were 16 KB of the device binary; the switch costs
    /// one branch per call of at least a row.
    static func loop(_ kind: BinaryKind, _ operands: Operands, _ a: UnsafePointer<Float>,
                     _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch kind {
        case .add: loop(AddOperator.self, operands, a, b, y, n)
        case .sub: loop(SubOperator.self, operands, a, b, y, n)
        case .mul: loop(MulOperator.self, operands, a, b, y, n)
        case .div: loop(DivOperator.self, operands, a, b, y, n)
        case .pow: loop(PowOperator.self, operands, a, b, y, n)
        case .max: loop(MaxOperator.self, operands, a, b, y, n)
        case .min: loop(MinOperator.self, operands, a, b, y, n)
        case .prelu: loop(PReluOperator.self, operands, a, b, y, n)
        }
    }

    @inline(__always)
    static func loop<O: BinaryOperator>(_: O.Type, _ operands: Operands, _ a: UnsafePointer<Float>,
                                        _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch operands {
        case .pairs: pairs(O.self, a, b, y, n)
        case .scalarB: withScalar(O.self, a, b[0], y, n)
        case .scalarA: withScalar(Flipped<O>.self, b, a[0], y, n)
        }
    }

    /// `y[i] = O(a[i], b[i])` in explicit vectors (`FloatVector`). Why not a plain loop: Y is
    /// often A's or B's buffer (a residual Add in place), and the auto-vectorizer's
    /// overlap check then falls back to scalar code (3x slower measured). Exact aliasing
    /// is safe here since each vector is loaded before it is stored.
    @inline(__always)
    static func pairs<O: BinaryOperator>(_: O.Type, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                         _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while O.vectorized && i + FloatVector.scalarCount <= n {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: FloatVector.self)
            let vb = UnsafeRawPointer(b + i).loadUnaligned(as: FloatVector.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: O.apply(va, vb), as: FloatVector.self)
            i += FloatVector.scalarCount
        }
        while i < n {
            y[i] = O.apply(a[i], b[i])
            i += 1
        }
    }

    /// `y[i] = O(a[i], v)`, vectorized like `pairs`.
    @inline(__always)
    static func withScalar<O: BinaryOperator>(_: O.Type, _ a: UnsafePointer<Float>, _ v: Float,
                                              _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let vb = FloatVector(repeating: v)
        var i = 0
        while O.vectorized && i + FloatVector.scalarCount <= n {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: FloatVector.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: O.apply(va, vb), as: FloatVector.self)
            i += FloatVector.scalarCount
        }
        while i < n {
            y[i] = O.apply(a[i], v)
            i += 1
        }
    }
}

/// One binary operation as a type, so each loop above is specialized per operation
/// (the switch on the kind happens once per row or block, not per element).
protocol BinaryOperator {
    static func apply(_ a: Float, _ b: Float) -> Float
    static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector
    /// Whether the loops take vector steps (else only their scalar loop: `PowOperator`).
    static var vectorized: Bool { get }
}

extension BinaryOperator {
    @inline(__always) static var vectorized: Bool { true }
}

/// The operation with its operands swapped: lets one "full op small" loop serve
/// "small op full" too, which matters for Sub, Div and Pow.
struct Flipped<O: BinaryOperator>: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { O.apply(b, a) }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector { O.apply(b, a) }
    @inline(__always) static var vectorized: Bool { O.vectorized }
}

struct AddOperator: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a + b }
}

struct SubOperator: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a - b }
}

struct MulOperator: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a * b }
}

struct DivOperator: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a / b }
}

/// No vector powf, and the libm call dominates: the loops' scalar path only (8 unrolled
/// calls in each of the three loops were ~1 KB of device code for no speed).
struct PowOperator: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { powf(a, b) }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
        var r = a
        for i in 0..<FloatVector.scalarCount { r[i] = powf(a[i], b[i]) }
        return r
    }
    @inline(__always) static var vectorized: Bool { false }
}

/// ONNX Max/Min propagate NaN from either operand; a bare `a > b ? a : b` (and
/// `Swift.max`) would drop a NaN in one of the two positions.
struct MaxOperator: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a > b || a.isNaN ? a : b }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
        b.replacing(with: a, where: (a .> b) .| (a .!= a))
    }
}

struct MinOperator: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a < b || a.isNaN ? a : b }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
        b.replacing(with: a, where: (a .< b) .| (a .!= a))
    }
}

/// PRelu: the slope applies where the input is negative.
struct PReluOperator: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a >= 0 ? a : a * b }
    @inline(__always) static func apply(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
        (a * b).replacing(with: a, where: a .>= 0)
    }
}
