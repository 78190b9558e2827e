import EdgeFormat

/// Output shapes of one node from its inputs' shapes (and constant inputs).
///
/// Besides shapes it resolves attribute forms the runtime should not have to know:
/// auto_pad becomes explicit `pads`, Slice becomes per-dim (start, step) pairs, opset
/// differences (attributes that moved to inputs) are read from either place. The
/// resolved values are written back into the node's attributes under `edge.*` keys.
struct ShapeInference {
    let graph: Graph
    let opset: Int

    func shape(_ v: String, _ node: Node) throws -> [Int] {
        guard let s = graph.shapes[v] else {
            throw EdgeError(.shape, "\(node.label): input '\(v)' has no known shape (is the graph topologically sorted?)")
        }
        return s
    }

    /// A constant input as integers, or nil when the input is absent.
    func constInts(_ node: Node, _ i: Int, _ what: String) throws -> [Int]? {
        let name = node.input(i)
        if name.isEmpty { return nil }
        guard let c = graph.constants[name] else {
            throw EdgeError(.unsupported, "\(node.label): \(what) (input \(i)) must be a constant; dynamic \(what) is not supported")
        }
        return c.ints.map { Int($0) }
    }

    func constFloats(_ node: Node, _ i: Int, _ what: String) throws -> [Float]? {
        let name = node.input(i)
        if name.isEmpty { return nil }
        guard let c = graph.constants[name] else {
            throw EdgeError(.unsupported, "\(node.label): \(what) (input \(i)) must be a constant; dynamic \(what) is not supported")
        }
        return c.floats
    }

    /// Largest dimension and element count the compiler accepts: beyond them a model is
    /// corrupt or hostile, shape arithmetic could overflow, and the runtime would refuse
    /// the tensor at load (EdgeLimits).
    static let maxDimension = 1 << 31
    static let maxElements = EdgeLimits.maxElements
    /// Largest tensor the compiler materializes itself (folded constants): 256 MiB of floats.
    static let maxConstantElements = 1 << 24
    /// Largest kernel size, stride, dilation or pad: the runtime's bound (EdgeLimits).
    static let maxWindow = Int(EdgeLimits.maxAttribute)

    static func checkWindow(_ values: [Int], _ what: String, _ node: Node, allowZero: Bool) throws {
        for v in values where v > maxWindow || v < (allowZero ? 0 : 1) {
            throw EdgeError(.shape, "\(node.label): \(what) \(values) out of range")
        }
    }

    static func checkConstantSize(_ shape: [Int], _ node: Node) throws {
        guard try count(shape, node) <= maxConstantElements else {
            throw EdgeError(.shape, "\(node.label): folding would create a constant of \(ShapeText.of(shape)) elements")
        }
    }

    /// A computed float size as a dimension, or an error (never a trapping conversion).
    static func dimension(_ v: Float, _ node: Node) throws -> Int {
        guard v.isFinite, v >= 0, v <= Float(maxDimension) else {
            throw EdgeError(.shape, "\(node.label): computed dimension \(v) is out of range")
        }
        return Int(v)
    }

    /// Checks a shape produced by inference: dims in range, element count bounded.
    static func validate(_ shape: [Int], _ node: Node) throws {
        _ = try count(shape, node)
    }

    /// The element count of a shape from untrusted numbers, or an error (no overflow).
    @discardableResult
    static func count(_ shape: [Int], _ node: Node) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0, d <= maxDimension else {
                throw EdgeError(.shape, "\(node.label): dimension \(d) is out of range in \(ShapeText.of(shape))")
            }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else {
                throw EdgeError(.shape, "\(node.label): \(ShapeText.of(shape)) has too many elements")
            }
            n = p
        }
        return n
    }

    static func normalize(_ axis: Int, rank: Int, _ node: Node) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < max(rank, 1) else {
            throw EdgeError(.shape, "\(node.label): axis \(axis) is out of range for rank \(rank)")
        }
        return a
    }

    /// Infers output shapes and rewrites `node`'s attributes into their resolved form
    /// (explicit pads, per-dim slices, `edge.*` keys): both, hence the name.
    func inferAndResolve(_ node: inout Node) throws -> [[Int]] {
        let ins = try node.inputs.map { $0.isEmpty ? [] : try shape($0, node) }
        let required = OnnxOps.table[node.opType]?.requiredInputs ?? 1
        guard node.inputs.count >= required, node.inputs.prefix(required).allSatisfy({ !$0.isEmpty }) else {
            throw EdgeError(.format, "\(node.label): needs at least \(required) inputs, has \(node.inputs.filter { !$0.isEmpty }.count)")
        }
        guard let rule = OnnxOps.table[node.opType]?.shape else {
            throw EdgeError(.unsupported, "unsupported operator \(node.opType)\(node.domain.isEmpty ? "" : " (domain \(node.domain))") at node '\(node.name)'")
        }
        return try rule(self)(&node, ins)
    }

    // MARK: convolution and pooling

    /// Explicit [top, left, bottom, right] pads from `pads` or `auto_pad`.
    func spatialPads(_ node: Node, input: [Int], kernel: [Int], strides: [Int], dilations: [Int]) throws -> [Int] {
        let n = kernel.count
        let autoPad = node.string("auto_pad", "NOTSET")
        switch autoPad {
        case "NOTSET":
            let pads = node.ints("pads") ?? [Int](repeating: 0, count: 2 * n)
            guard pads.count == 2 * n else {
                throw EdgeError(.shape, "\(node.label): pads \(pads) do not fit \(n) spatial dims")
            }
            try ShapeInference.checkWindow(pads, "pads", node, allowZero: true)
            return pads
        case "VALID":
            return [Int](repeating: 0, count: 2 * n)
        case "SAME_UPPER", "SAME_LOWER":
            var begin = [Int](), end = [Int]()
            for i in 0..<n {
                let out = (input[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - input[i])
                let small = total / 2
                begin.append(autoPad == "SAME_UPPER" ? small : total - small)
                end.append(autoPad == "SAME_UPPER" ? total - small : small)
            }
            return begin + end
        default:
            throw EdgeError(.unsupported, "\(node.label): auto_pad '\(autoPad)' is not supported")
        }
    }

    func windowAttributes(_ node: Node, spatial: Int, kernel: [Int]) throws -> (strides: [Int], dilations: [Int]) {
        let strides = node.ints("strides") ?? [Int](repeating: 1, count: spatial)
        let dilations = node.ints("dilations") ?? [Int](repeating: 1, count: spatial)
        guard strides.count == spatial, dilations.count == spatial, kernel.count == spatial else {
            throw EdgeError(.shape, "\(node.label): kernel/strides/dilations do not fit \(spatial) spatial dims")
        }
        try ShapeInference.checkWindow(kernel, "kernel", node, allowZero: false)
        try ShapeInference.checkWindow(strides, "strides", node, allowZero: false)
        try ShapeInference.checkWindow(dilations, "dilations", node, allowZero: false)
        return (strides, dilations)
    }

    /// Rewrites 1-D window attributes as 2-D ones over a height of 1 and marks the node,
    /// so 1-D convolutions and pools run on the 2-D kernels.
    static func liftTo2D(_ node: inout Node) {
        node.attributes["edge.as2d"] = .int(1)
        for key in ["kernel_shape", "strides", "dilations"] {
            if let v = node.ints(key), v.count == 1 { node.attributes[key] = .ints([1, Int64(v[0])]) }
        }
        if let p = node.ints("pads"), p.count == 2 {
            node.attributes["pads"] = .ints([0, Int64(p[0]), 0, Int64(p[1])])
        }
    }

    func require2D(_ node: Node, _ x: [Int]) throws {
        guard x.count == 4 else {
            throw EdgeError(.unsupported, "\(node.label): only 2-D (N x C x H x W) inputs are supported, got \(ShapeText.of(x))")
        }
    }

    func convShape(_ node: inout Node, x: [Int], w: [Int]) throws -> [Int] {
        try require2D(node, x)
        guard w.count == 4 else { throw EdgeError(.shape, "\(node.label): weight must be 4-D, got \(ShapeText.of(w))") }
        let group = node.int("group", 1)
        guard group > 0, x[1] % group == 0, w[0] % group == 0, x[1] / group == w[1] else {
            throw EdgeError(.shape, "\(node.label): input channels \(x[1]) do not match weight \(ShapeText.of(w)) with group \(group)")
        }
        let kernel = Array(w[2...])
        if let ks = node.ints("kernel_shape"), ks != kernel {
            throw EdgeError(.shape, "\(node.label): kernel_shape \(ks) disagrees with the weight \(ShapeText.of(w))")
        }
        let (strides, dilations) = try windowAttributes(node, spatial: 2, kernel: kernel)
        let pads = try spatialPads(node, input: Array(x[2...]), kernel: kernel, strides: strides, dilations: dilations)
        var out = [x[0], w[0]]
        for i in 0..<2 {
            let span = x[2 + i] + pads[i] + pads[i + 2] - ((kernel[i] - 1) * dilations[i] + 1)
            guard span >= 0 else { throw EdgeError(.shape, "\(node.label): kernel larger than the padded input") }
            out.append(span / strides[i] + 1)
        }
        if node.inputs.count > 2, !node.input(2).isEmpty, let b = graph.shapes[node.input(2)], b.reduce(1, *) != w[0] {
            throw EdgeError(.shape, "\(node.label): bias has \(b.reduce(1, *)) values for \(w[0]) output channels")
        }
        node.attributes["pads"] = .ints(pads.map { Int64($0) })
        node.attributes["strides"] = .ints(strides.map { Int64($0) })
        node.attributes["dilations"] = .ints(dilations.map { Int64($0) })
        node.attributes["auto_pad"] = nil
        return out
    }

    func convTransposeShape(_ node: inout Node, x: [Int], w: [Int]) throws -> [Int] {
        try require2D(node, x)
        guard w.count == 4 else { throw EdgeError(.shape, "\(node.label): weight must be 4-D") }
        let group = node.int("group", 1)
        guard group > 0, x[1] == w[0], x[1] % group == 0 else {
            throw EdgeError(.shape, "\(node.label): input channels \(x[1]) do not match weight \(ShapeText.of(w)) with group \(group)")
        }
        let kernel = Array(w[2...])
        let (strides, dilations) = try windowAttributes(node, spatial: 2, kernel: kernel)
        let outPad = node.ints("output_padding") ?? [0, 0]
        var pads = node.ints("pads") ?? [0, 0, 0, 0]
        guard outPad.count == 2, pads.count == 4 else {
            throw EdgeError(.shape, "\(node.label): output_padding \(outPad) or pads \(pads) do not fit 2 spatial dims")
        }
        try ShapeInference.checkWindow(outPad + pads, "output_padding/pads", node, allowZero: true)
        var out = [x[0], w[1] * group]
        let autoPad = node.string("auto_pad", "NOTSET")
        let outputShape = node.ints("output_shape").map { Array($0.suffix(2)) }
        if let os = outputShape {
            guard os.count == 2, os.allSatisfy({ $0 > 0 && $0 <= ShapeInference.maxDimension }) else {
                throw EdgeError(.shape, "\(node.label): output_shape \(os) is invalid")
            }
        }
        for i in 0..<2 {
            let full = strides[i] * (x[2 + i] - 1) + outPad[i] + (kernel[i] - 1) * dilations[i] + 1
            if let os = outputShape {
                let total = full - os[i]
                guard total >= 0 else { throw EdgeError(.shape, "\(node.label): output_shape too large") }
                pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[i + 2] = total - pads[i]
                out.append(os[i])
            } else if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                let target = x[2 + i] * strides[i]
                let total = max(0, full - target)
                pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[i + 2] = total - pads[i]
                out.append(target)
            } else {
                out.append(full - pads[i] - pads[i + 2])
            }
        }
        guard out[2] > 0, out[3] > 0 else { throw EdgeError(.shape, "\(node.label): empty output") }
        node.attributes["pads"] = .ints(pads.map { Int64($0) })
        node.attributes["strides"] = .ints(strides.map { Int64($0) })
        node.attributes["dilations"] = .ints(dilations.map { Int64($0) })
        node.attributes["auto_pad"] = nil
        node.attributes["output_shape"] = nil
        return out
    }

    func poolShape(_ node: inout Node, x: [Int]) throws -> [Int] {
        try require2D(node, x)
        guard node.opType != "LpPool" else { throw EdgeError(.unsupported, "unsupported operator LpPool at node '\(node.name)'") }
        guard let kernel = node.ints("kernel_shape") else { throw EdgeError(.format, "\(node.label): kernel_shape is required") }
        let (strides, dilations) = try windowAttributes(node, spatial: 2, kernel: kernel)
        if node.opType == "AveragePool" && dilations.contains(where: { $0 != 1 }) {
            throw EdgeError(.unsupported, "\(node.label): dilated AveragePool is not supported")
        }
        let pads = try spatialPads(node, input: Array(x[2...]), kernel: kernel, strides: strides, dilations: dilations)
        let ceil = node.int("ceil_mode", 0) != 0
        var out = [x[0], x[1]]
        for i in 0..<2 {
            let span = x[2 + i] + pads[i] + pads[i + 2] - ((kernel[i] - 1) * dilations[i] + 1)
            guard span >= 0 else { throw EdgeError(.shape, "\(node.label): window larger than the padded input") }
            var n = (ceil ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1
            // A last window that would start inside the end padding is dropped (as
            // onnxruntime and PyTorch do in ceil mode).
            if ceil && (n - 1) * strides[i] >= x[2 + i] + pads[i] { n -= 1 }
            out.append(n)
        }
        node.attributes["pads"] = .ints(pads.map { Int64($0) })
        node.attributes["strides"] = .ints(strides.map { Int64($0) })
        node.attributes["dilations"] = .ints(dilations.map { Int64($0) })
        node.attributes["auto_pad"] = nil
        return out
    }

    // MARK: matrix products

    func matMulShape(_ node: Node, _ a: [Int], _ b: [Int]) throws -> [Int] {
        guard a.count >= 1, b.count >= 1 else { throw EdgeError(.shape, "\(node.label): scalar operands") }
        let a2 = a.count == 1 ? [1] + a : a
        let b2 = b.count == 1 ? b + [1] : b
        guard a2[a2.count - 1] == b2[b2.count - 2] else {
            throw EdgeError(.shape, "\(node.label): inner dimensions differ (\(ShapeText.of(a)) x \(ShapeText.of(b)))")
        }
        guard let batch = Broadcast.shape(Array(a2.dropLast(2)), Array(b2.dropLast(2))) else {
            throw EdgeError(.shape, "\(node.label): batch dimensions do not broadcast")
        }
        var out = batch + [a2[a2.count - 2], b2[b2.count - 1]]
        if a.count == 1 { out.remove(at: out.count - 2) }
        if b.count == 1 { out.removeLast() }
        return out
    }

    // MARK: data movement

    func splitShapes(_ node: inout Node, x: [Int]) throws -> [[Int]] {
        let axis = try ShapeInference.normalize(node.int("axis", 0), rank: x.count, node)
        let parts = node.outputs.count
        var sizes: [Int]
        if let s = opset >= 13 ? try constInts(node, 1, "split") : node.ints("split") {
            sizes = s
        } else {
            let chunk = (x[axis] + parts - 1) / parts
            sizes = (0..<parts).map { min(chunk, max(0, x[axis] - $0 * chunk)) }
        }
        guard sizes.count == parts, sizes.reduce(0, +) == x[axis], sizes.allSatisfy({ $0 >= 0 }) else {
            throw EdgeError(.shape, "\(node.label): split sizes \(sizes) do not add up to \(x[axis])")
        }
        node.attributes["axis"] = .int(Int64(axis))
        return sizes.map { var s = x; s[axis] = $0; return s }
    }

    func sliceShape(_ node: inout Node, x: [Int]) throws -> [Int] {
        let starts: [Int], ends: [Int], axesOpt: [Int]?, stepsOpt: [Int]?
        if opset >= 10 {
            guard let s = try constInts(node, 1, "starts"), let e = try constInts(node, 2, "ends") else {
                throw EdgeError(.format, "\(node.label): starts and ends are required")
            }
            starts = s; ends = e
            axesOpt = try constInts(node, 3, "axes")
            stepsOpt = try constInts(node, 4, "steps")
        } else {
            starts = node.ints("starts") ?? []
            ends = node.ints("ends") ?? []
            axesOpt = node.ints("axes")
            stepsOpt = nil
        }
        let axes = try (axesOpt ?? Array(0..<starts.count)).map { try ShapeInference.normalize($0, rank: x.count, node) }
        let steps = stepsOpt ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw EdgeError(.shape, "\(node.label): starts/ends/axes/steps differ in length")
        }
        var resolved = [Int]()
        var out = x
        for d in 0..<x.count { resolved += [0, 1] ; _ = d }
        for (k, axis) in axes.enumerated() {
            let dim = x[axis]
            let step = steps[k]
            guard step != 0 else { throw EdgeError(.shape, "\(node.label): step 0") }
            var start = starts[k], end = ends[k]
            if start < 0 { start += dim }
            if end < 0 && end > Int.min / 2 { end += dim }
            let count: Int
            if step > 0 {
                start = min(max(start, 0), dim)
                end = min(max(end, 0), dim)
                count = end > start ? (end - start + step - 1) / step : 0
            } else {
                start = min(max(start, -1), dim - 1)
                end = min(max(end, -1), dim - 1)
                count = start > end ? (start - end + (-step) - 1) / (-step) : 0
            }
            out[axis] = count
            resolved[2 * axis] = count == 0 ? 0 : start
            resolved[2 * axis + 1] = step
        }
        node.attributes["edge.slice"] = .ints(resolved.map { Int64($0) })
        return out
    }

    func reshapeShape(_ node: Node, x: [Int]) throws -> [Int] {
        guard let target = opset >= 5 ? try constInts(node, 1, "shape") : node.ints("shape") else {
            throw EdgeError(.format, "\(node.label): shape is required")
        }
        let allowZero = node.int("allowzero", 0) != 0
        var out = [Int]()
        var inferred: Int? = nil
        for (i, d) in target.enumerated() {
            if d == 0 && !allowZero {
                guard i < x.count else { throw EdgeError(.shape, "\(node.label): 0 refers past the input rank") }
                out.append(x[i])
            } else if d == -1 {
                guard inferred == nil else { throw EdgeError(.shape, "\(node.label): more than one -1 in shape") }
                inferred = i
                out.append(1)
            } else if d < 0 {
                throw EdgeError(.shape, "\(node.label): invalid dimension \(d) in shape")
            } else {
                out.append(d)
            }
        }
        let total = try ShapeInference.count(x, node)
        let known = try ShapeInference.count(out, node)
        if let i = inferred {
            guard known > 0, total % known == 0 else {
                throw EdgeError(.shape, "\(node.label): cannot reshape \(ShapeText.of(x)) to \(target)")
            }
            out[i] = total / known
        }
        guard try ShapeInference.count(out, node) == total else {
            throw EdgeError(.shape, "\(node.label): cannot reshape \(ShapeText.of(x)) (\(total) elements) to \(ShapeText.of(out))")
        }
        return out
    }

    func padShape(_ node: inout Node, x: [Int]) throws -> [Int] {
        var pads: [Int]
        var value: Float = 0
        if opset >= 11 {
            guard let p = try constInts(node, 1, "pads") else { throw EdgeError(.format, "\(node.label): pads required") }
            pads = p
            if let v = try constFloats(node, 2, "constant_value"), let first = v.first { value = first }
            if let axes = try constInts(node, 3, "axes") {
                let ax = try axes.map { try ShapeInference.normalize($0, rank: x.count, node) }
                guard pads.count == 2 * ax.count else { throw EdgeError(.shape, "\(node.label): pads do not match axes") }
                var full = [Int](repeating: 0, count: 2 * x.count)
                for (k, a) in ax.enumerated() { full[a] = pads[k]; full[a + x.count] = pads[k + ax.count] }
                pads = full
            }
        } else {
            pads = node.ints("pads") ?? node.ints("paddings") ?? []
            value = node.float("value", 0)
        }
        guard pads.count == 2 * x.count else {
            throw EdgeError(.shape, "\(node.label): \(pads.count) pads for rank \(x.count)")
        }
        guard pads.allSatisfy({ $0 >= 0 }) else {
            throw EdgeError(.unsupported, "\(node.label): negative pads (cropping) are not supported")
        }
        let mode = node.string("mode", "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else {
            throw EdgeError(.unsupported, "\(node.label): pad mode '\(mode)' is not supported")
        }
        if mode == "reflect" {
            for d in 0..<x.count where pads[d] >= x[d] || pads[d + x.count] >= x[d] {
                throw EdgeError(.shape, "\(node.label): reflect pad \(max(pads[d], pads[d + x.count])) needs a dimension larger than \(x[d])")
            }
        }
        node.attributes["edge.pads"] = .ints(pads.map { Int64($0) })
        node.attributes["edge.value"] = .float(value)
        return x.indices.map { x[$0] + pads[$0] + pads[$0 + x.count] }
    }

    func resizeShape(_ node: inout Node, x: [Int]) throws -> [Int] {
        var scales: [Float]? = nil
        var sizes: [Int]? = nil
        if node.opType == "Upsample" {
            scales = opset >= 9 ? try constFloats(node, 1, "scales") : node.floats("scales")
        } else if opset >= 11 {
            if let s = try constFloats(node, 2, "scales"), !s.isEmpty { scales = s }
            if node.inputs.count > 3, let s = try constInts(node, 3, "sizes"), !s.isEmpty { sizes = s }
        } else {
            scales = try constFloats(node, 1, "scales")
        }
        if let axes = node.ints("axes") {
            // Resize-18 axes: expand to full rank with identity entries.
            let ax = try axes.map { try ShapeInference.normalize($0, rank: x.count, node) }
            guard ax.count == (scales?.count ?? ax.count), ax.count == (sizes?.count ?? ax.count) else {
                throw EdgeError(.shape, "\(node.label): axes and scales/sizes differ in length")
            }
            if let s = scales {
                var full = [Float](repeating: 1, count: x.count)
                for (k, a) in ax.enumerated() { full[a] = s[k] }
                scales = full
            }
            if let s = sizes {
                var full = x
                for (k, a) in ax.enumerated() { full[a] = s[k] }
                sizes = full
            }
        }
        var out: [Int]
        var effective: [Float]
        if let s = sizes {
            guard s.count == x.count else { throw EdgeError(.shape, "\(node.label): sizes rank \(s.count) != input rank \(x.count)") }
            out = s
            effective = x.indices.map { Float(s[$0]) / Float(x[$0]) }
        } else if let s = scales {
            guard s.count == x.count, s.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw EdgeError(.shape, "\(node.label): scales \(s) do not fit rank \(x.count)")
            }
            out = try x.indices.map { try ShapeInference.dimension((Float(x[$0]) * s[$0]).rounded(.down), node) }
            effective = s
        } else {
            throw EdgeError(.format, "\(node.label): neither scales nor sizes given")
        }
        guard x.count == 4, out[0] == x[0], out[1] == x[1] else {
            throw EdgeError(.unsupported, "\(node.label): only resizing the last two dims of a 4-D tensor is supported")
        }
        guard out.allSatisfy({ $0 > 0 }) else { throw EdgeError(.shape, "\(node.label): empty output") }
        node.attributes["edge.scales"] = .floats([effective[2], effective[3]])
        return out
    }
}

// MARK: - Shape rules (OnnxOps.table names one per ONNX op type)

extension ShapeInference {
    /// Input 0's shape, or an error if the node has none.
    func first(_ node: Node, _ ins: [[Int]]) throws -> [Int] {
        guard let first = ins.first, !node.input(0).isEmpty else {
            throw EdgeError(.format, "\(node.label): missing input 0")
        }
        return first
    }

    /// Identity, Dropout, Relu, Sigmoid, Tanh, LeakyRelu, Clip, HardSigmoid, HardSwish, Softmax, LRN, Sqrt, Exp, Log, Neg, Abs, Reciprocal, BatchNormalization, Elu, Softplus, Erf, Floor, Ceil, Round, Sign, Cast, Selu, LogSoftmax
    func sameShapeRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        if node.opType == "Dropout" && node.outputs.count > 1 && !node.outputs[1].isEmpty {
            node.outputs[1] = ""  // the mask is unused at inference; drop it
        }
        return [try first(node, ins)]
    }

    /// PRelu
    func preluRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let s = try first(node, ins)
        if Broadcast.shape(s, ins[1]) != s, s.count >= 2, ins[1] == [s[1]], var slope = graph.constants[node.input(1)] {
            // PRelu before opset 7 applied a [C] slope per channel (axis 1).
            slope.shape = [s[1]] + [Int](repeating: 1, count: s.count - 2)
            let name = node.input(1) + "::per_channel"
            graph.constants[name] = slope
            graph.shapes[name] = slope.shape
            node.inputs[1] = name
            return [s]
        }
        guard Broadcast.shape(s, ins[1]) == s else {
            throw EdgeError(.shape, "\(node.label): slope \(ShapeText.of(ins[1])) does not broadcast to \(ShapeText.of(s))")
        }
        return [s]
    }

    /// Add, Sub, Mul, Div, Pow, Sum, Max, Min, Mean, Equal, Greater, Less, Where, And, Or
    func broadcastRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return [try Broadcast.shape(ins.enumerated().filter { !node.input($0.offset).isEmpty }.map(\.element), for: node)]
    }

    /// Conv
    func convRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        if try first(node, ins).count == 3 {
            // 1-D: run as 2-D with H = 1 (Lowering views the tensors that way).
            ShapeInference.liftTo2D(&node)
            let x3 = try first(node, ins), w3 = ins[1]
            guard w3.count == 3 else { throw EdgeError(.shape, "\(node.label): 1-D Conv needs a 3-D weight") }
            let out = try convShape(&node, x: [x3[0], x3[1], 1, x3[2]], w: [w3[0], w3[1], 1, w3[2]])
            return [[out[0], out[1], out[3]]]
        }
        return [try convShape(&node, x: try first(node, ins), w: ins[1])]
    }

    /// ConvTranspose
    func convTransposeRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return [try convTransposeShape(&node, x: try first(node, ins), w: ins[1])]
    }

    /// MaxPool, AveragePool, LpPool
    func poolRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        if node.opType == "MaxPool" && node.outputs.count > 1 && !node.outputs[1].isEmpty {
            throw EdgeError(.unsupported, "\(node.label): the Indices output of MaxPool is not supported")
        }
        if try first(node, ins).count == 3 {
            ShapeInference.liftTo2D(&node)
            let x3 = try first(node, ins)
            let out = try poolShape(&node, x: [x3[0], x3[1], 1, x3[2]])
            return [[out[0], out[1], out[3]]]
        }
        return [try poolShape(&node, x: try first(node, ins))]
    }

    /// GlobalAveragePool, GlobalMaxPool
    func globalPoolRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let s = try first(node, ins)
        guard s.count >= 3 else { throw EdgeError(.shape, "\(node.label): input must be N x C x spatial") }
        return [Array(s[0..<2]) + [Int](repeating: 1, count: s.count - 2)]
    }

    /// Gemm
    func gemmRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let a = try first(node, ins), b = ins[1]
        guard a.count == 2, b.count == 2 else {
            throw EdgeError(.shape, "\(node.label): Gemm needs 2-D A and B, got \(ShapeText.of(a)) and \(ShapeText.of(b))")
        }
        let (m, k) = node.int("transA", 0) != 0 ? (a[1], a[0]) : (a[0], a[1])
        let (kb, n) = node.int("transB", 0) != 0 ? (b[1], b[0]) : (b[0], b[1])
        guard k == kb else {
            throw EdgeError(.shape, "\(node.label): inner dimensions differ (A \(ShapeText.of(a)), B \(ShapeText.of(b)))")
        }
        if ins.count > 2, !node.input(2).isEmpty, Broadcast.shape([m, n], ins[2]) != [m, n] {
            throw EdgeError(.shape, "\(node.label): C \(ShapeText.of(ins[2])) does not broadcast to [\(m)x\(n)]")
        }
        return [[m, n]]
    }

    /// MatMul
    func matMulRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return [try matMulShape(node, try first(node, ins), ins[1])]
    }

    /// Concat
    func concatRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let axis = try ShapeInference.normalize(node.int("axis", 0), rank: try first(node, ins).count, node)
        var out = try first(node, ins)
        out[axis] = 0
        for s in ins {
            guard s.count == out.count else { throw EdgeError(.shape, "\(node.label): inputs differ in rank") }
            for d in 0..<s.count where d != axis && s[d] != out[d] {
                throw EdgeError(.shape, "\(node.label): inputs differ in dimension \(d)")
            }
            out[axis] += s[axis]
        }
        node.attributes["axis"] = .int(Int64(axis))
        return [out]
    }

    /// Split
    func splitRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return try splitShapes(&node, x: try first(node, ins))
    }

    /// Slice
    func sliceRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return [try sliceShape(&node, x: try first(node, ins))]
    }

    /// Reshape
    func reshapeRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return [try reshapeShape(node, x: try first(node, ins))]
    }

    /// Flatten
    func flattenRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let s = try first(node, ins)
        var axis = node.int("axis", 1)
        if axis < 0 { axis += s.count }
        guard axis >= 0 && axis <= s.count else { throw EdgeError(.shape, "\(node.label): axis out of range") }
        return [[s[0..<axis].reduce(1, *), s[axis...].reduce(1, *)]]
    }

    /// Squeeze
    func squeezeRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let s = try first(node, ins)
        let axesRaw = opset >= 13 ? try constInts(node, 1, "axes") : node.ints("axes")
        let axes = try Set((axesRaw ?? s.indices.filter { s[$0] == 1 }).map { try ShapeInference.normalize($0, rank: s.count, node) })
        for a in axes where s[a] != 1 {
            throw EdgeError(.shape, "\(node.label): cannot squeeze dimension \(a) of size \(s[a])")
        }
        return [s.indices.filter { !axes.contains($0) }.map { s[$0] }]
    }

    /// Unsqueeze
    func unsqueezeRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let s = try first(node, ins)
        guard let axesRaw = opset >= 13 ? try constInts(node, 1, "axes") : node.ints("axes") else {
            throw EdgeError(.format, "\(node.label): Unsqueeze needs axes")
        }
        let rank = s.count + axesRaw.count
        let axes = try Set(axesRaw.map { try ShapeInference.normalize($0, rank: rank, node) })
        var out: [Int] = []
        var next = 0
        for d in 0..<rank {
            if axes.contains(d) { out.append(1) } else { out.append(s[next]); next += 1 }
        }
        return [out]
    }

    /// Transpose
    func transposeRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let s = try first(node, ins)
        let perm = node.ints("perm") ?? Array((0..<s.count).reversed())
        guard perm.count == s.count, Set(perm) == Set(0..<s.count) else {
            throw EdgeError(.shape, "\(node.label): perm \(perm) is not a permutation of rank \(s.count)")
        }
        node.attributes["perm"] = .ints(perm.map { Int64($0) })
        return [perm.map { s[$0] }]
    }

    /// Pad
    func padRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return [try padShape(&node, x: try first(node, ins))]
    }

    /// Resize, Upsample
    func resizeRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return [try resizeShape(&node, x: try first(node, ins))]
    }

    /// ReduceMean, ReduceSum, ReduceMax
    func reduceRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        let s = try first(node, ins)
        let axesRaw = opset >= 18 ? try constInts(node, 1, "axes") : node.ints("axes")
        let axes: [Int]
        if let a = axesRaw, !a.isEmpty {
            axes = try a.map { try ShapeInference.normalize($0, rank: s.count, node) }.sorted()
        } else if node.int("noop_with_empty_axes", 0) != 0 {
            axes = []
        } else {
            axes = Array(s.indices)
        }
        node.attributes["edge.axes"] = .ints(axes.map { Int64($0) })
        let keep = node.int("keepdims", 1) != 0
        var out: [Int] = []
        for d in s.indices {
            if axes.contains(d) { if keep { out.append(1) } } else { out.append(s[d]) }
        }
        return [out]
    }

    /// Shape
    func shapeOfRule(_ node: inout Node, _ ins: [[Int]]) throws -> [[Int]] {
        return [[try first(node, ins).count]]
    }
}
