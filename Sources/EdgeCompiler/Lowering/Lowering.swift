import EdgeFormat

/// Turns the optimized graph into runtime ops (Formats/EDGM.md, EdgeFormat/OpCode.swift).
///
/// Weights are written here in the layout the kernels consume (Gemm's B as [N, K] with
/// alpha folded in, biases scaled by beta), so the runtime never repacks at load.
final class Lowering {
    let graph: Graph
    var model = LoweredModel()
    var ids: [String: Int32] = [:]

    init(graph: Graph) {
        self.graph = graph
    }

    static func lower(_ graph: Graph) throws -> LoweredModel {
        let l = Lowering(graph: graph)
        for name in graph.inputs { l.model.inputs.append(try l.value(name)) }
        for node in graph.nodes { try l.lower(node) }
        for name in graph.outputs {
            if graph.constants[name] != nil {
                throw EdgeError(.unsupported, "graph output '\(name)' is a constant: the whole path to it folded away")
            }
            l.model.outputs.append(try l.value(name))
        }
        return l.model
    }

    // MARK: tensors

    func shape(_ name: String) throws -> [Int] {
        guard let s = graph.shapes[name] else { throw EdgeError(.shape, "no shape for value '\(name)'") }
        return s
    }

    /// The tensor id of a value: a weight if constant, else an arena tensor.
    func value(_ name: String) throws -> Int32 {
        if let id = ids[name] { return id }
        let s = try shape(name)
        let storage: LoweredTensor.Storage = graph.constants[name].map { .weight($0.floats) } ?? .arena
        return add(LoweredTensor(name: name, shape: s, storage: storage), key: name)
    }

    func add(_ t: LoweredTensor, key: String?) -> Int32 {
        let id = Int32(model.tensors.count)
        model.tensors.append(t)
        if let k = key { ids[k] = id }
        return id
    }

    /// A new weight tensor holding `data` (already in kernel layout).
    func weight(_ name: String, shape: [Int], _ data: [Float]) -> Int32 {
        add(LoweredTensor(name: name, shape: shape, storage: .weight(data)), key: nil)
    }

    /// An arena tensor sharing `base`'s bytes under another shape.
    func alias(_ base: Int32, shape: [Int], name: String, key: String? = nil) throws -> Int32 {
        let b = model.tensors[Int(base)]
        guard b.isArena else { throw EdgeError(.unsupported, "cannot alias weight '\(b.name)'") }
        guard shape.reduce(1, *) == b.shape.reduce(1, *) else {
            throw EdgeError(.shape, "alias '\(name)' \(ShapeText.of(shape)) differs in size from '\(b.name)'")
        }
        return add(LoweredTensor(name: name, shape: shape, storage: .arena, aliasOf: Int(base)), key: key)
    }

    func emit<P: OpRecord>(_ code: OpCode, _ node: Node, inputs: [Int32], outputs: [Int32], _ params: P) {
        model.ops.append(OpDescription(code: code, name: node.name, inputs: inputs, outputs: outputs, params: params))
    }

    func out(_ node: Node, _ k: Int = 0) throws -> Int32 { try value(node.outputs[k]) }

    func markInPlace(input: Int32, output: Int32) {
        model.inPlaceCandidates.append((model.ops.count - 1, input, output))
    }

    // MARK: nodes

    func lower(_ node: Node) throws {
        let act = node.fused ?? .none
        guard let rule = OnnxOps.table[node.opType]?.lower else {
            throw EdgeError(.unsupported, "unsupported operator \(node.opType) at node '\(node.name)'")
        }
        try rule(self)(node, act)
    }

    func lowerGemm(_ node: Node, _ act: FusedActivation) throws {
        let a = try shape(node.input(0))
        let transA = node.int("transA", 0) != 0, transB = node.int("transB", 0) != 0
        let alpha = node.float("alpha", 1), beta = node.float("beta", 1)
        let m = transA ? a[1] : a[0]
        let bShape = try shape(node.input(1))
        let n = transB ? bShape[0] : bShape[1], k = transB ? bShape[1] : bShape[0]
        var bId: Int32
        if let b = graph.constants[node.input(1)] {
            // Pack B as [N, K] with alpha folded in: Y = A * B^T.
            let v = b.floats
            var packed = [Float](repeating: 0, count: n * k)
            for r in 0..<n {
                for c in 0..<k { packed[r * k + c] = alpha * (transB ? v[r * k + c] : v[c * n + r]) }
            }
            bId = weight(node.input(1) + "::packed_nk", shape: [n, k], packed)
        } else {
            guard alpha == 1 else {
                throw EdgeError(.unsupported, "\(node.label): alpha != 1 with a non-constant B is not supported")
            }
            bId = try value(node.input(1))
            if !transB {
                // The kernel reads B as [N, K]: transpose the runtime value first.
                let packed = add(LoweredTensor(name: node.input(1) + "::nk", shape: [n, k], storage: .arena), key: nil)
                emit(.transpose, node, inputs: [bId], outputs: [packed], TransposeParams(perm: [1, 0]))
                bId = packed
            }
        }
        var cId: Int32 = -1
        if !node.input(2).isEmpty {
            let cShape = try shape(node.input(2))
            if let c = graph.constants[node.input(2)] {
                let v = c.floats.map { $0 * beta }
                if v.count == 1 || (v.count == n && cShape.last == n) || v.count == m * n {
                    cId = weight(node.input(2) + "::scaled", shape: [v.count], v)
                } else {
                    // e.g. [M, 1]: expand to the full matrix.
                    let idx = ConstantFolder.broadcastIndex(cShape, to: [m, n])
                    cId = weight(node.input(2) + "::expanded", shape: [m * n], idx.map { v[$0] })
                }
            } else {
                guard beta == 1 else { throw EdgeError(.unsupported, "\(node.label): non-constant C needs beta=1") }
                cId = try value(node.input(2))
            }
        }
        emit(.gemm, node, inputs: [try value(node.input(0)), bId, cId], outputs: [try out(node)],
             GemmParams(activation: act, transA: transA))
    }

    func lowerMatMul(_ node: Node, _ act: FusedActivation) throws {
        let aShape = try shape(node.input(0)), bShape = try shape(node.input(1))
        var a = try value(node.input(0)), b = try value(node.input(1))
        var y = try out(node)
        // numpy promotes 1-D operands; the kernel wants rank >= 2, so view them as matrices.
        if aShape.count == 1 {
            a = try promoted(a, [1] + aShape, node.input(0) + "::as_row")
        }
        if bShape.count == 1 {
            b = try promoted(b, bShape + [1], node.input(1) + "::as_column")
        }
        if aShape.count == 1 || bShape.count == 1 {
            var yShape = try shape(node.outputs[0])
            if aShape.count == 1 { yShape.insert(1, at: max(0, yShape.count - (bShape.count == 1 ? 0 : 1))) }
            if bShape.count == 1 { yShape.append(1) }
            y = try alias(y, shape: yShape, name: node.outputs[0] + "::matrix")
        }
        emit(.matMul, node, inputs: [a, b], outputs: [y], ActivationParams(activation: act))
    }

    /// [N, C, L] seen as [N, C, 1, L].
    func viewAs2D(_ id: Int32, _ name: String) throws -> Int32 {
        let s = model.tensors[Int(id)].shape
        return try promoted(id, [s[0], s[1], 1, s[2]], name + "::2d")
    }

    func promoted(_ id: Int32, _ shape: [Int], _ name: String) throws -> Int32 {
        let t = model.tensors[Int(id)]
        if case .weight(let data) = t.storage { return weight(name, shape: shape, data) }
        return try alias(id, shape: shape, name: name)
    }

    func lowerBinary(_ node: Node, _ act: FusedActivation) throws {
        let inputs = node.inputs.filter { !$0.isEmpty }
        let kinds: [String: BinaryKind] = ["Add": .add, "Sum": .add, "Sub": .sub, "Mul": .mul, "Div": .div, "Pow": .pow, "Max": .max, "Min": .min]
        let kind = kinds[node.opType]!
        let y = try out(node)
        if inputs.count == 1 {
            let x = try value(inputs[0])
            emit(.copy, node, inputs: [x], outputs: [y], NoParams())
            return
        }
        if kind == .pow, let e = graph.constants[inputs[1]]?.scalar, node.fused == nil {
            let x = try value(inputs[0])
            emit(.unary, node, inputs: [x], outputs: [y], UnaryParams(.powScalar, alpha: e))
            markInPlace(input: x, output: y)
            return
        }
        // Variadic Sum/Max/Min: a chain of binary ops through intermediate tensors.
        var acc = try value(inputs[0])
        var accShape = try shape(inputs[0])
        for (k, name) in inputs.enumerated().dropFirst() {
            let last = k == inputs.count - 1
            let rhs = try value(name)
            let rhsShape = try shape(name)
            let outShape = Broadcast.shape(accShape, rhsShape)!
            let target = last ? y : add(LoweredTensor(name: "\(node.outputs[0])::partial\(k)", shape: outShape, storage: .arena), key: nil)
            emit(.binary, node, inputs: [acc, rhs], outputs: [target], BinaryParams(kind, activation: last ? act : .none))
            if accShape == outShape { markInPlace(input: acc, output: target) }
            else if rhsShape == outShape { markInPlace(input: rhs, output: target) }
            acc = target
            accShape = outShape
        }
    }

    /// Resize, Upsample (no fused activation)
    func lowerResize(_ node: Node, _ act: FusedActivation) throws {
        let modeName = node.string("mode", "nearest")
        let mode: ResizeMode
        switch modeName {
        case "nearest": mode = .nearest
        case "linear", "bilinear": mode = .linear
        default: throw EdgeError(.unsupported, "\(node.label): Resize mode '\(modeName)' is not supported")
        }
        var transform = ResizeCoordinateTransform.asymmetric
        var nearest = ResizeNearestMode.floor
        if node.opType == "Resize" && graph.opset >= 11 {
            let ctm = node.string("coordinate_transformation_mode", "half_pixel")
            switch ctm {
            case "half_pixel": transform = .halfPixel
            case "asymmetric": transform = .asymmetric
            case "align_corners": transform = .alignCorners
            case "pytorch_half_pixel": transform = .pytorchHalfPixel
            default: throw EdgeError(.unsupported, "\(node.label): coordinate_transformation_mode '\(ctm)' is not supported")
            }
            let nm = node.string("nearest_mode", "round_prefer_floor")
            switch nm {
            case "round_prefer_floor": nearest = .roundPreferFloor
            case "round_prefer_ceil": nearest = .roundPreferCeil
            case "floor": nearest = .floor
            case "ceil": nearest = .ceil
            default: throw EdgeError(.unsupported, "\(node.label): nearest_mode '\(nm)' is not supported")
            }
        }
        let scales = node.floats("edge.scales")!
        emit(.resize, node, inputs: [try value(node.input(0))], outputs: [try out(node)],
             ResizeParams(mode: mode, transform: transform, nearest: nearest, scaleH: scales[0], scaleW: scales[1]))
    }

    /// Softmax (no fused activation)
    func lowerSoftmax(_ node: Node, _ act: FusedActivation) throws {
        let s = try shape(node.input(0))
        let defaultAxis = graph.opset >= 13 ? -1 : 1
        let axis = try ShapeInference.normalize(node.int("axis", defaultAxis), rank: s.count, node)
        var x = try value(node.input(0))
        var y = try out(node)
        if graph.opset < 13 && axis != s.count - 1 {
            // Before opset 13 Softmax flattens to [prod(:axis), prod(axis:)] and normalizes rows.
            let flat = [s[..<axis].reduce(1, *), s[axis...].reduce(1, *)]
            x = try alias(x, shape: flat, name: node.input(0) + "::rows")
            y = try alias(y, shape: flat, name: node.outputs[0] + "::rows")
            emit(.softmax, node, inputs: [x], outputs: [y], AxisParams(axis: 1))
            return
        }
        emit(.softmax, node, inputs: [x], outputs: [y], AxisParams(axis: Int64(axis)))
    }
}

// MARK: - Lowering rules (OnnxOps.table names one per ONNX op type)

extension Lowering {
    /// Conv, ConvTranspose
    func lowerConvolution(_ node: Node, _ act: FusedActivation) throws {
        var w = try shape(node.input(1))
        let pads = node.ints("pads") ?? [0, 0, 0, 0]
        let strides = node.ints("strides") ?? [1, 1]
        let dil = node.ints("dilations") ?? [1, 1]
        var ins = [try value(node.input(0)), try value(node.input(1))]
        ins.append(node.input(2).isEmpty ? -1 : try value(node.input(2)))
        var y = try out(node)
        if node.int("edge.as2d", 0) == 1 {
            w = [w[0], w[1], 1, w[2]]
            ins[0] = try viewAs2D(ins[0], node.input(0))
            ins[1] = try promoted(ins[1], w, node.input(1) + "::2d")
            y = try viewAs2D(y, node.outputs[0])
        }
        let window = Window2D(kernel: [w[2], w[3]], strides: strides, dilations: dil, pads: pads)
        emit(node.opType == "Conv" ? .conv : .convTranspose, node, inputs: ins, outputs: [y],
             ConvParams(activation: act, group: Int64(node.int("group", 1)), window: window))
    }

    /// MaxPool, AveragePool
    func lowerPool(_ node: Node, _ act: FusedActivation) throws {
        let k = node.ints("kernel_shape")!, s = node.ints("strides")!, p = node.ints("pads")!
        var x = try value(node.input(0)), y = try out(node)
        if node.int("edge.as2d", 0) == 1 {
            x = try viewAs2D(x, node.input(0))
            y = try viewAs2D(y, node.outputs[0])
        }
        if node.opType == "MaxPool" {
            let window = Window2D(kernel: k, strides: s, dilations: node.ints("dilations")!, pads: p)
            emit(.maxPool, node, inputs: [x], outputs: [y], MaxPoolParams(window: window))
        } else {
            let window = Window2D(kernel: k, strides: s, dilations: [1, 1], pads: p)
            emit(.averagePool, node, inputs: [x], outputs: [y],
                 AveragePoolParams(window: window, countIncludePad: node.int("count_include_pad", 0) != 0))
        }
    }

    /// GlobalAveragePool, GlobalMaxPool
    func lowerGlobalPool(_ node: Node, _ act: FusedActivation) throws {
        emit(node.opType == "GlobalAveragePool" ? .globalAveragePool : .globalMaxPool, node,
             inputs: [try value(node.input(0))], outputs: [try out(node)], NoParams())
    }

    /// edge.Activation
    func lowerActivation(_ node: Node, _ act: FusedActivation) throws {
        let a = node.fused!
        let x = try value(node.input(0)), y = try out(node)
        guard let params = UnaryParams(a) else { throw EdgeError(.unsupported, "\(node.label): an empty activation") }
        emit(.unary, node, inputs: [x], outputs: [y], params)
        markInPlace(input: x, output: y)
    }

    /// Sqrt, Exp, Log, Neg, Abs, Reciprocal, Elu, Selu, Softplus
    func lowerUnaryMath(_ node: Node, _ act: FusedActivation) throws {
        let kinds: [String: UnaryKind] = ["Sqrt": .sqrt, "Exp": .exp, "Log": .log, "Neg": .neg, "Abs": .abs,
                                          "Reciprocal": .reciprocal, "Elu": .elu, "Selu": .selu, "Softplus": .softplus]
        var params = UnaryParams(kinds[node.opType]!)
        if node.opType == "Elu" { params.alpha = node.float("alpha", 1) }
        if node.opType == "Selu" {
            params.alpha = node.float("alpha", 1.67326319217681884765625)
            params.beta = node.float("gamma", 1.05070102214813232421875)
        }
        let x = try value(node.input(0)), y = try out(node)
        emit(.unary, node, inputs: [x], outputs: [y], params)
        markInPlace(input: x, output: y)
    }

    /// PRelu
    func lowerPRelu(_ node: Node, _ act: FusedActivation) throws {
        let x = try value(node.input(0)), y = try out(node)
        emit(.binary, node, inputs: [x, try value(node.input(1))], outputs: [y], BinaryParams(.prelu))
        markInPlace(input: x, output: y)
    }

    /// LogSoftmax
    func lowerLogSoftmax(_ node: Node, _ act: FusedActivation) throws {
        // softmax then log: exact except where softmax underflows to 0 (x - max < -87).
        try lowerSoftmax(node, .none)
        let y = try out(node)
        emit(.unary, node, inputs: [y], outputs: [y], UnaryParams(.log))
    }

    /// ReduceSum
    func lowerReduceSum(_ node: Node, _ act: FusedActivation) throws {
        // The mean times the count of reduced elements.
        let axes = node.ints("edge.axes")!
        let inShape = try shape(node.input(0))
        let n = axes.reduce(1) { $0 * inShape[$1] }
        let y = try out(node)
        emit(.reduceMean, node, inputs: [try value(node.input(0))], outputs: [y], ReduceMeanParams(axes: axes.map { Int64($0) }))
        emit(.binary, node, inputs: [y, weight(node.name + "::count", shape: [1], [Float(n)])], outputs: [y], BinaryParams(.mul))
    }

    /// BatchNormalization
    func lowerBatchNorm(_ node: Node, _ act: FusedActivation) throws {
        guard let (scale, shift) = try BatchNormFolding.affine(node, graph) else {
            throw EdgeError(.unsupported, "\(node.label): BatchNormalization needs constant scale, bias, mean and var")
        }
        let c = scale.count
        let x = try value(node.input(0)), y = try out(node)
        let inputShape = try shape(node.input(0))
        guard inputShape.count >= 2, inputShape[1] == c else {
            throw EdgeError(.shape, "\(node.label): \(c) statistics for input \(ShapeText.of(inputShape))")
        }
        emit(.channelAffine, node, inputs: [x, weight(node.name + "::scale", shape: [c], scale), weight(node.name + "::shift", shape: [c], shift)],
             outputs: [y], ActivationParams(activation: act))
        markInPlace(input: x, output: y)
    }

    /// Concat
    func lowerConcat(_ node: Node, _ act: FusedActivation) throws {
        emit(.concat, node, inputs: try node.inputs.filter { !$0.isEmpty }.map { try value($0) }, outputs: [try out(node)],
             AxisParams(axis: Int64(node.int("axis", 0))))
    }

    /// Split
    func lowerSplit(_ node: Node, _ act: FusedActivation) throws {
        emit(.split, node, inputs: [try value(node.input(0))], outputs: try node.outputs.map { try value($0) },
             AxisParams(axis: Int64(node.int("axis", 0))))
    }

    /// Slice
    func lowerSlice(_ node: Node, _ act: FusedActivation) throws {
        let pairs = node.ints("edge.slice")!.map { Int64($0) }
        let starts = stride(from: 0, to: pairs.count, by: 2).map { pairs[$0] }
        let steps = stride(from: 1, to: pairs.count, by: 2).map { pairs[$0] }
        emit(.slice, node, inputs: [try value(node.input(0))], outputs: [try out(node)], SliceParams(starts: starts, steps: steps))
    }

    /// Transpose
    func lowerTranspose(_ node: Node, _ act: FusedActivation) throws {
        emit(.transpose, node, inputs: [try value(node.input(0))], outputs: [try out(node)],
             TransposeParams(perm: node.ints("perm")!.map { Int64($0) }))
    }

    /// Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout, Cast
    func lowerView(_ node: Node, _ act: FusedActivation) throws {
        let x = try value(node.input(0))
        let name = node.outputs[0]
        if model.tensors[Int(x)].isArena {
            _ = try alias(x, shape: try shape(name), name: name, key: name)
        } else {
            emit(.copy, node, inputs: [x], outputs: [try out(node)], NoParams())
        }
    }

    /// Pad
    func lowerPad(_ node: Node, _ act: FusedActivation) throws {
        let mode: PadMode = ["constant": .constant, "reflect": .reflect, "edge": .edge][node.string("mode", "constant")]!
        var value: Float = 0
        if case .float(let v)? = node.attributes["edge.value"] { value = v }
        let pads = node.ints("edge.pads")!.map { Int64($0) }
        let rank = pads.count / 2
        emit(.pad, node, inputs: [try self.value(node.input(0))], outputs: [try out(node)],
             PadParams(mode: mode, begins: Array(pads[..<rank]), ends: Array(pads[rank...]), value: value))
    }

    /// LRN
    func lowerLRN(_ node: Node, _ act: FusedActivation) throws {
        let size = node.int("size", 0)
        guard size > 0 else { throw EdgeError(.format, "\(node.label): size must be positive") }
        emit(.lrn, node, inputs: [try value(node.input(0))], outputs: [try out(node)],
             LRNParams(size: Int64(size), alpha: node.float("alpha", 1e-4), beta: node.float("beta", 0.75), bias: node.float("bias", 1)))
    }

    /// ReduceMean
    func lowerReduceMean(_ node: Node, _ act: FusedActivation) throws {
        emit(.reduceMean, node, inputs: [try value(node.input(0))], outputs: [try out(node)],
             ReduceMeanParams(axes: node.ints("edge.axes")!.map { Int64($0) }))
    }
}
