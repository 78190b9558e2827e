import CEdgeSupport
import EdgeFormat

/// Evaluates nodes whose inputs are all constants, at compile time.
///
/// This is what makes PyTorch and paddle2onnx exports compile: their Shape -> Gather ->
/// Unsqueeze -> Concat -> Reshape chains, Constant and ConstantOfShape nodes and casts are
/// plain arithmetic on small integer tensors once shapes are static. It also folds float
/// arithmetic on weights (e.g. a Mul by a constant scale feeding another constant).
/// Returns nil for ops it does not evaluate; the node then stays for the runtime.
enum ConstantFolder {
    static func evaluate(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        // Shape, Reshape-like and Slice have no rule here: the caller folds them from the
        // inferred shapes.
        guard let rule = OnnxOps.table[node.opType]?.fold else { return nil }
        return try rule(node, inputs, opset)
    }

    static func reduce(_ node: Node, _ x: HostTensor, axesInput: HostTensor?, opset: Int) throws -> HostTensor {
        let rank = x.shape.count
        let listed = (axesInput?.ints.map { Int($0) }) ?? node.ints("axes")
        var axes: Set<Int>
        if let l = listed, !l.isEmpty {
            axes = Set(try l.map { try ShapeInference.normalize($0, rank: rank, node) })
        } else if node.int("noop_with_empty_axes", 0) != 0 {
            return x
        } else {
            axes = Set(0..<rank)
        }
        let keep = node.int("keepdims", 1) != 0
        let reducedShape = x.shape.indices.map { axes.contains($0) ? 1 : x.shape[$0] }
        let outCount = reducedShape.reduce(1, *)
        // Each input element's position in the reduced tensor.
        var strides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * reducedShape[d + 1] }
        let values = x.floats
        var acc = [Double](repeating: node.opType == "ReduceProd" ? 1 : 0, count: outCount)
        var seen = [Bool](repeating: false, count: outCount)
        var counter = [Int](repeating: 0, count: rank)
        for v in values {
            var o = 0
            for d in 0..<rank where !axes.contains(d) { o += counter[d] * strides[d] }
            let f = Double(v)
            switch node.opType {
            case "ReduceProd": acc[o] *= f
            case "ReduceMax": acc[o] = seen[o] ? max(acc[o], f) : f
            case "ReduceMin": acc[o] = seen[o] ? min(acc[o], f) : f
            default: acc[o] += f
            }
            seen[o] = true
            var d = rank - 1
            while d >= 0 { counter[d] += 1; if counter[d] < x.shape[d] { break }; counter[d] = 0; d -= 1 }
        }
        if node.opType == "ReduceMean" {
            let n = Double(max(1, x.count / max(1, outCount)))
            acc = acc.map { $0 / n }
        }
        let shape = keep ? reducedShape : x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] }
        if x.isInteger { return HostTensor(shape: shape, ints: acc.map { Int64($0) }) }
        return HostTensor(shape: shape, floats: acc.map { Float($0) })
    }

    static func constantValue(_ node: Node) throws -> HostTensor {
        switch node.attributes["value"] {
        case .tensor(let t)?: return HostTensor(t)
        default: break
        }
        switch node.attributes["value_float"] {
        case .float(let f)?: return HostTensor(shape: [], floats: [f])
        default: break
        }
        if let fs = node.floats("value_floats") { return HostTensor(shape: [fs.count], floats: fs) }
        switch node.attributes["value_int"] {
        case .int(let i)?: return HostTensor(shape: [], ints: [i])
        default: break
        }
        if case .ints(let v)? = node.attributes["value_ints"] { return HostTensor(shape: [v.count], ints: v) }
        throw EdgeError(.unsupported, "\(node.label): Constant without a supported value attribute")
    }

    /// For every element of `shape`, the flat index into a tensor of `source` shape that
    /// broadcasts to it.
    static func broadcastIndex(_ source: [Int], to shape: [Int]) -> [Int] {
        let rank = shape.count
        let padded = [Int](repeating: 1, count: rank - source.count) + source
        var strides = [Int](repeating: 0, count: rank)
        var s = 1
        for d in stride(from: rank - 1, through: 0, by: -1) {
            strides[d] = padded[d] == 1 ? 0 : s
            s *= padded[d]
        }
        let total = shape.reduce(1, *)
        var out = [Int](repeating: 0, count: total)
        var counter = [Int](repeating: 0, count: rank)
        var offset = 0
        for i in 0..<total {
            out[i] = offset
            var d = rank - 1
            while d >= 0 {
                counter[d] += 1
                offset += strides[d]
                if counter[d] < shape[d] { break }
                offset -= strides[d] * counter[d]
                counter[d] = 0
                d -= 1
            }
        }
        return out
    }

    static func binary(_ node: Node, _ a: HostTensor, _ b: HostTensor) throws -> HostTensor {
        let shape = try Broadcast.shape([a.shape, b.shape], for: node)
        try ShapeInference.checkConstantSize(shape, node)
        let ai = broadcastIndex(a.shape, to: shape), bi = broadcastIndex(b.shape, to: shape)
        let op = node.opType
        if a.isInteger && b.isInteger {
            let av = a.ints, bv = b.ints
            let f: (Int64, Int64) -> Int64
            switch op {
            case "Add", "Sum": f = { $0 &+ $1 }
            case "Sub": f = { $0 &- $1 }
            case "Mul": f = { $0 &* $1 }
            case "Div": f = { $1 == 0 ? 0 : $0 / $1 }
            case "Mod": f = { $1 == 0 ? 0 : $0 % $1 }
            case "Max": f = { max($0, $1) }
            case "Min": f = { min($0, $1) }
            case "Equal": f = { $0 == $1 ? 1 : 0 }
            case "Less": f = { $0 < $1 ? 1 : 0 }
            case "Greater": f = { $0 > $1 ? 1 : 0 }
            case "And": f = { ($0 != 0 && $1 != 0) ? 1 : 0 }
            case "Or": f = { ($0 != 0 || $1 != 0) ? 1 : 0 }
            default: f = { Int64(pow(Double($0), Double($1))) }
            }
            return HostTensor(shape: shape, ints: (0..<ai.count).map { f(av[ai[$0]], bv[bi[$0]]) })
        }
        let av = a.floats, bv = b.floats
        let f: (Float, Float) -> Float
        switch op {
        case "Add", "Sum": f = { $0 + $1 }
        case "Sub": f = { $0 - $1 }
        case "Mul": f = { $0 * $1 }
        case "Div": f = { $0 / $1 }
        case "Mod": f = { fmodf($0, $1) }
        case "Max": f = { max($0, $1) }
        case "Min": f = { min($0, $1) }
        case "Equal": f = { $0 == $1 ? 1 : 0 }
        case "Less": f = { $0 < $1 ? 1 : 0 }
        case "Greater": f = { $0 > $1 ? 1 : 0 }
        case "And": f = { ($0 != 0 && $1 != 0) ? 1 : 0 }
        case "Or": f = { ($0 != 0 || $1 != 0) ? 1 : 0 }
        default: f = { powf($0, $1) }
        }
        let values = (0..<ai.count).map { f(av[ai[$0]], bv[bi[$0]]) }
        let boolean = ["Equal", "Less", "Greater", "And", "Or"].contains(op)
        return boolean ? HostTensor(shape: shape, ints: values.map { Int64($0) }) : HostTensor(shape: shape, floats: values)
    }

    /// Copies `count` blocks chosen by `pick` from a tensor viewed as [outer, axisLen, inner].
    static func gather(_ node: Node, _ data: HostTensor, _ indices: HostTensor) throws -> HostTensor {
        let axis = try ShapeInference.normalize(node.int("axis", 0), rank: data.shape.count, node)
        let outer = data.shape[..<axis].reduce(1, *)
        let len = data.shape[axis]
        let inner = data.shape[(axis + 1)...].reduce(1, *)
        let idx = try indices.ints.map { v -> Int in
            let i = v < 0 ? Int(v) + len : Int(v)
            guard i >= 0 && i < len else { throw EdgeError(.shape, "\(node.label): index \(v) out of range \(len)") }
            return i
        }
        let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        try ShapeInference.checkConstantSize(shape, node)
        var order: [Int] = []
        order.reserveCapacity(outer * idx.count * inner)
        for o in 0..<outer {
            for i in idx {
                for k in 0..<inner { order.append((o * len + i) * inner + k) }
            }
        }
        return pick(data, order, shape)
    }

    static func pick(_ t: HostTensor, _ order: [Int], _ shape: [Int]) -> HostTensor {
        switch t.data {
        case .float(let f): return HostTensor(shape: shape, floats: order.map { f[$0] })
        case .int(let v): return HostTensor(shape: shape, ints: order.map { v[$0] })
        }
    }

    static func concat(_ node: Node, _ parts: [HostTensor]) throws -> HostTensor {
        guard let first = parts.first else { throw EdgeError(.format, "\(node.label): no inputs") }
        let rank = first.shape.count
        let axis = try ShapeInference.normalize(node.int("axis", 0), rank: rank, node)
        let outer = first.shape[..<axis].reduce(1, *)
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let anyFloat = parts.contains { !$0.isInteger }
        var floats: [Float] = [], ints: [Int64] = []
        for o in 0..<outer {
            for p in parts {
                let block = p.shape[axis...].reduce(1, *)
                if anyFloat { floats += p.floats[(o * block)..<((o + 1) * block)] } else { ints += p.ints[(o * block)..<((o + 1) * block)] }
            }
        }
        return anyFloat ? HostTensor(shape: shape, floats: floats) : HostTensor(shape: shape, ints: ints)
    }

    /// Uses the per-dim (start, step) pairs ShapeInference resolved and the output shape.
    static func slice(_ node: Node, _ x: HostTensor, outShape: [Int]) throws -> HostTensor {
        guard let pairs = node.ints("edge.slice"), pairs.count == 2 * x.shape.count else {
            throw EdgeError(.format, "\(node.label): slice not resolved")
        }
        let strides = contiguousStrides(x.shape)
        let base = x.shape.indices.reduce(0) { $0 + pairs[2 * $1] * strides[$1] }
        return gather(x, outShape: outShape, base: base, steps: x.shape.indices.map { pairs[2 * $0 + 1] * strides[$0] })
    }

    static func transpose(_ node: Node, _ x: HostTensor) throws -> HostTensor {
        let perm = node.ints("perm") ?? Array((0..<x.shape.count).reversed())
        let strides = contiguousStrides(x.shape)
        return gather(x, outShape: perm.map { x.shape[$0] }, base: 0, steps: perm.map { strides[$0] })
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        return strides
    }

    /// Output element at index vector i reads x at `base + sum(i[d] * steps[d])`:
    /// slices and transposes are both such affine gathers.
    static func gather(_ x: HostTensor, outShape: [Int], base: Int, steps: [Int]) -> HostTensor {
        let rank = outShape.count
        let total = outShape.reduce(1, *)
        var order: [Int] = []
        order.reserveCapacity(total)
        var counter = [Int](repeating: 0, count: rank)
        var offset = base
        for _ in 0..<total {
            order.append(offset)
            var d = rank - 1
            while d >= 0 {
                counter[d] += 1
                offset += steps[d]
                if counter[d] < outShape[d] { break }
                offset -= steps[d] * counter[d]
                counter[d] = 0
                d -= 1
            }
        }
        return pick(x, order, outShape)
    }
}

// MARK: - Folding rules (OnnxOps.table names one per ONNX op type)

extension ConstantFolder {
    /// Input `i`, present.
    static func input(_ node: Node, _ inputs: [HostTensor?], _ i: Int) throws -> HostTensor {
        guard i < inputs.count, let t = inputs[i] else {
            throw EdgeError(.format, "\(node.label): missing input \(i)")
        }
        return t
    }

    /// Constant
    static func foldConstant(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        return [try constantValue(node)]
    }

    /// Identity, Dropout
    static func foldIdentity(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        return [try input(node, inputs, 0)]
    }

    /// Cast
    static func foldCast(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        let to = node.int("to", 1)
        let x = try input(node, inputs, 0)
        switch to {
        case 1, 10, 11, 16: return [HostTensor(shape: x.shape, floats: x.floats)]
        case 9: return [HostTensor(shape: x.shape, ints: x.floats.map { $0 != 0 ? 1 : 0 })]
        default: return [HostTensor(shape: x.shape, ints: x.ints)]
        }
    }

    /// ConstantOfShape
    static func foldConstantOfShape(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        let shape = try input(node, inputs, 0).ints.map { Int($0) }
        try ShapeInference.checkConstantSize(shape, node)
        let value: HostTensor
        if case .tensor(let t)? = node.attributes["value"] { value = HostTensor(t) } else { value = HostTensor(shape: [1], floats: [0]) }
        let n = shape.reduce(1, *)
        switch value.data {
        case .float(let f): return [HostTensor(shape: shape, floats: [Float](repeating: f.first ?? 0, count: n))]
        case .int(let i): return [HostTensor(shape: shape, ints: [Int64](repeating: i.first ?? 0, count: n))]
        }
    }

    /// Add, Sub, Mul, Div, Pow, Max, Min, Equal, Less, Greater, Sum, And, Or, Mod
    static func foldBinary(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        var acc = try input(node, inputs, 0)
        for i in 1..<max(1, node.inputs.count) { acc = try binary(node, acc, try input(node, inputs, i)) }
        return [acc]
    }

    /// Where
    static func foldWhere(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        let c = try input(node, inputs, 0), a = try input(node, inputs, 1), b = try input(node, inputs, 2)
        let shape = try Broadcast.shape([c.shape, a.shape, b.shape], for: node)
        try ShapeInference.checkConstantSize(shape, node)
        let ci = broadcastIndex(c.shape, to: shape), ai = broadcastIndex(a.shape, to: shape), bi = broadcastIndex(b.shape, to: shape)
        let cond = c.floats
        if a.isInteger && b.isInteger {
            let av = a.ints, bv = b.ints
            return [HostTensor(shape: shape, ints: (0..<ci.count).map { cond[ci[$0]] != 0 ? av[ai[$0]] : bv[bi[$0]] })]
        }
        let av = a.floats, bv = b.floats
        return [HostTensor(shape: shape, floats: (0..<ci.count).map { cond[ci[$0]] != 0 ? av[ai[$0]] : bv[bi[$0]] })]
    }

    /// Neg, Sqrt, Reciprocal, Abs, Exp, Log, Relu, Sigmoid, Tanh, Floor, Ceil
    static func foldUnary(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        let x = try input(node, inputs, 0)
        if x.isInteger && (node.opType == "Neg" || node.opType == "Abs" || node.opType == "Relu") {
            let f: (Int64) -> Int64 = node.opType == "Neg" ? { -$0 } : node.opType == "Abs" ? { abs($0) } : { max(0, $0) }
            return [HostTensor(shape: x.shape, ints: x.ints.map(f))]
        }
        let f: (Float) -> Float
        switch node.opType {
        case "Neg": f = { -$0 }
        case "Sqrt": f = { sqrtf($0) }
        case "Reciprocal": f = { 1 / $0 }
        case "Abs": f = { abs($0) }
        case "Exp": f = { expf($0) }
        case "Log": f = { logf($0) }
        case "Relu": f = FusedActivation(.relu).apply
        case "Sigmoid": f = FusedActivation(.sigmoid).apply
        case "Tanh": f = FusedActivation(.tanh).apply
        case "Floor": f = { $0.rounded(.down) }
        default: f = { $0.rounded(.up) }
        }
        return [HostTensor(shape: x.shape, floats: x.floats.map(f))]
    }

    /// ReduceProd, ReduceSum, ReduceMax, ReduceMin, ReduceMean
    static func foldReduce(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        return [try reduce(node, try input(node, inputs, 0), axesInput: inputs.count > 1 ? inputs[1] : nil, opset: opset)]
    }

    /// Size
    static func foldSize(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        return [HostTensor(shape: [], ints: [Int64(try input(node, inputs, 0).count)])]
    }

    /// Gather
    static func foldGather(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        return [try gather(node, try input(node, inputs, 0), try input(node, inputs, 1))]
    }

    /// Concat
    static func foldConcat(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        return [try concat(node, try inputs.indices.map { try input(node, inputs, $0) })]
    }

    /// Transpose
    static func foldTranspose(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        return [try transpose(node, try input(node, inputs, 0))]
    }

    /// Range
    static func foldRange(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        let start = try input(node, inputs, 0), limit = try input(node, inputs, 1), delta = try input(node, inputs, 2)
        guard start.count == 1, limit.count == 1, delta.count == 1 else {
            throw EdgeError(.shape, "\(node.label): start, limit and delta must be scalars")
        }
        if start.isInteger {
            let s = start.ints[0], l = limit.ints[0], d = delta.ints[0]
            guard d != 0 else { throw EdgeError(.shape, "\(node.label): delta 0") }
            let count = (Double(l) - Double(s)) / Double(d)
            guard count.isFinite, count <= Double(ShapeInference.maxConstantElements) else {
                throw EdgeError(.shape, "\(node.label): Range of \(count) elements")
            }
            let n = max(0, Int(count.rounded(.up)))
            return [HostTensor(shape: [n], ints: (0..<n).map { s + Int64($0) * d })]
        }
        let s = start.floats[0], l = limit.floats[0], d = delta.floats[0]
        let n = try ShapeInference.dimension(max(0, ((l - s) / d).rounded(.up)), node)
        try ShapeInference.checkConstantSize([n], node)
        return [HostTensor(shape: [n], floats: (0..<n).map { s + Float($0) * d })]
    }

    /// Expand
    static func foldExpand(_ node: Node, _ inputs: [HostTensor?], opset: Int) throws -> [HostTensor]? {
        let x = try input(node, inputs, 0)
        let target = try input(node, inputs, 1).ints.map { Int($0) }
        let shape = try Broadcast.shape([x.shape, target], for: node)
        try ShapeInference.checkConstantSize(shape, node)
        let idx = broadcastIndex(x.shape, to: shape)
        switch x.data {
        case .float(let f): return [HostTensor(shape: shape, floats: idx.map { f[$0] })]
        case .int(let v): return [HostTensor(shape: shape, ints: idx.map { v[$0] })]
        }
    }
}
