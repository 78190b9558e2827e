import CEdgeSupport
import EdgeFormat

/// ONNX Conv (2-D, NCHW, groups, dilation, asymmetric pads) with a fused bias + activation.
///
/// Record: in [X, W, B?] out [Y]; W is [M, C/group, kH, kW];
/// ints [act, group, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight];
/// floats [alpha, beta] of the activation.
///
/// Five strategies, chosen once at load (in this order). The GEMMs run on Edge's packed
/// SGEMM (`packedGemm`): the weight side is packed in the kernel's panel layout at load
/// (or into scratch per run when W is not a constant of the file), the activation side
/// per call into scratch, bias and clamp-type activations in the GEMM's store.
/// - `winogradF4` / `winograd` (3×3, stride 1, dilation 1, one group, C and M ≥
///   `Winograd.minChannels`, constant W): Winograd F(4×4, 3×3) (`WinogradF4`, 36 GEMMs)
///   when both output sides are ≥ 8 and the plane has ≥ `WinogradF4.minTiles` (32) 4×4
///   tiles (ResNet-18's 56×56 and 28×28 layers, not 14×14), else F(2×2, 3×3)
///   (`Winograd`, 16 GEMMs), on transformed weights and inputs. The weights are
///   transformed and packed once here into an owned buffer of 36·M·C (16·M·C) floats,
///   on top of the weight tensor. Thin GEMMs do not beat im2col + one GEMM: fewer than
///   16 channels, or fewer than `Winograd.minTiles` (16) 2×2 tiles, stay on im2col.
/// - `direct` (x86-64 with AVX2+FMA; one group, at most 32 input channels, dilation 1, a
///   kernel larger than 1×1, rows of ≥ 16 outputs: RGB stems, YOLO's first stride-2
///   convs): `DirectConv`, the outputs
///   straight from a padded copy of the input rows, no im2col and no GEMM (whose depth
///   would be 27 for a 3×3 stem). MobileNetV3's stem ran 2.0–2.4x as fast, ResNet-18's
///   7×7 one 1.1–1.2x (1 thread, CPU time).
/// - `pointwise` (1×1, stride 1, no pads): X's planes already are the GEMM's right
///   operand, `Y_g[Mg, HW] = W_g[Mg, Cg] * X_g[Cg, HW]`, one GEMM per group, no im2col;
///   on a 1×1 plane a gemv per group instead (`onePixel`).
/// - `im2col`: everything else with more than one input channel per group. The input
///   patches are unrolled into scratch (`im2col`) and multiplied by W_g ([Mg, Cg*kH*kW]).
///   Output positions are covered in tiles so the scratch stays bounded. With at least
///   `packFromInputMinOutputs` output positions per plane, no im2col matrix: one GEMM
///   per group packs its right-operand panels straight from X (`convGemm`), which
///   saves the second copy of every patch.
/// - `depthwise`: one input channel per group (depthwise, with any channel multiplier),
///   where a GEMM would have K = kH*kW and do nothing useful; a direct kernel over a
///   zero-padded copy of each plane instead (`DepthwiseConv`: C row kernels per ISA,
///   unrolled 3×3, channels split over the thread pool).
///
/// Bias and activation are applied per output channel as each GEMM tile is stored (or
/// each output row, for the direct kernels) while the values are still in cache.
///
/// Kernel selection (below operator selection, for the device build): a build that
/// defines `EDGE_CONV_SELECTION` links the Winograd and depthwise kernels only when it
/// also defines `EDGE_CONV_winograd` / `EDGE_CONV_depthwise` (`make -C Firmware
/// CONV_KERNELS=...`, or the families `OPS_FROM`'s models use, `edgec inspect
/// --conv-kernels`). A conv whose kernel is left out is not refused: it runs on the
/// general path, im2col or 1×1 GEMM per group, which computes the same convolution
/// (within float rounding), only slower.
public final class ConvLayer: LayerKernel {
    enum Path {
        case pointwise, im2col, depthwise, winograd, winogradF4
#if arch(x86_64)
        case direct
#endif
    }

#if !EDGE_CONV_SELECTION || EDGE_CONV_winograd
    static var linksWinograd: Bool { true }
#else
    static var linksWinograd: Bool { false }
#endif
#if !EDGE_CONV_SELECTION || EDGE_CONV_depthwise
    static var linksDepthwise: Bool { true }
#else
    static var linksDepthwise: Bool { false }
#endif

    /// im2col scratch budget per tile, in floats (1 MiB), so a large layer does not
    /// demand a scratch buffer the size of its whole unrolled input (ResNet's first conv
    /// would need 7 MiB). Measured on ResNet-18 shapes: as fast as one untiled buffer.
    static let im2colTileFloats = 1 << 18
    /// Narrowest im2col tile: the right operand's packing and the loop overheads are
    /// amortised over enough columns.
    static let im2colMinTile = 256
    /// Fewest output positions per plane for which the im2col path packs the GEMM's
    /// panels straight from X. Below it the GEMM splits over rows on 2 threads and every
    /// part packs all of X again, where im2col ran once, split over channels: with every
    /// im2col conv packed from X (AVX-512, 2 threads, 10 pairs), ResNet-18's 14x14
    /// layer3.0 conv1 took 1.10x the CPU time, the 7x7 layer4 convs 1.01-1.09x (0.96-1.02x
    /// on one thread).
    static let packFromInputMinOutputs = 256

    let path: Path
    let x: UnsafeMutablePointer<Float>
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>?
    let y: UnsafeMutablePointer<Float>
    let activation: Activation
    let batch: Int
    let inChannels: Int
    let outChannels: Int
    let groups: Int
    /// Input / output channels of one group (C/group, M/group).
    let groupIn: Int
    let groupOut: Int
    let h: WindowAxis
    let w: WindowAxis
    /// GEMM depth: Cg * kH * kW.
    let depth: Int
    /// Output positions per im2col tile.
    let tile: Int
    /// The im2col path packs from X (`convGemm`) instead of through an im2col tile.
    public let packsFromInput: Bool
    /// One group's geometry, for `convGemm`.
    let geometry: edge_conv_geometry
    /// The direct kernel of the depthwise path (padded-plane scratch).
    let direct: DepthwiseConv
#if arch(x86_64)
    /// The direct kernel of the few-input-channel path (nil on the other paths).
    let directConv: DirectConv?
#endif
    /// The Winograd paths' geometry (nil on the other paths).
    let wino: WinogradPlan?
    /// The GEMMs' left operands: W per group (pointwise, im2col) or the 16 (36)
    /// transformed weight matrices (Winograd F(2×2), F(4×4)), in the kernel's layout; nil on the depthwise path.
    let left: PackedOperand?
    let kernel: UnsafePointer<edge_gemm_kernel>
    /// Scratch offsets (floats): the GEMM's packed right operand and, when W is not
    /// constant, the left operand packed per run.
    let gemmScratch: Int
    let leftScratch: Int

    public let scratchFloats: Int
    public let flops: Int

    /// Whether load chose a Winograd path, F(2×2) or F(4×4) (for tests and reports).
    public var usesWinograd: Bool { path == .winograd || path == .winogradF4 }
    /// Output tile side of the chosen Winograd path: 2, 4, or 0 on the other paths.
    public var winogradTile: Int { path == .winogradF4 ? 4 : path == .winograd ? 2 : 0 }

    public init(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) {
        let params = try ConvParams(op)
        try SizeCheck.operands(op, inputs: inputs, outputs: outputs, required: 2, optional: 1)
        activation = params.activation
        guard let xt = inputs[0], let wt = inputs[1] else {
            throw EdgeError(.format, "op '\(op.name)': missing X or W")
        }
        let bt = inputs.count > 2 ? inputs[2] : nil
        let yt = outputs[0]
        try SizeCheck.tensor(xt, rank: 4, op: op, tensor: "X")
        try SizeCheck.tensor(wt, rank: 4, op: op, tensor: "W")
        try SizeCheck.tensor(yt, rank: 4, op: op, tensor: "Y")

        let win = params.window
        let n = xt.shape[0], c = xt.shape[1], m = wt.shape[0]
        let g = try SizeCheck.attribute(params.group, min: 1, op: op, what: "group")
        guard c % g == 0 else {
            throw EdgeError(.shape, "op '\(op.name)': group \(g) does not divide the \(c) input channels")
        }
        guard m % g == 0 else {
            throw EdgeError(.shape, "op '\(op.name)': group \(g) does not divide the \(m) output channels")
        }
        h = try WindowAxis(input: xt.shape[2], output: yt.shape[2], kernel: win.kernelH, stride: win.strideH,
                           dilation: win.dilationH, padBefore: win.padTop, padAfter: win.padBottom, axis: "H", op: op)
        w = try WindowAxis(input: xt.shape[3], output: yt.shape[3], kernel: win.kernelW, stride: win.strideW,
                           dilation: win.dilationW, padBefore: win.padLeft, padAfter: win.padRight, axis: "W", op: op)
        try SizeCheck.same(wt.shape, m, c / g, h.kernel, w.kernel, op: op, what: "W's shape")
        guard h.floorOutput >= 1, w.floorOutput >= 1 else {
            throw EdgeError(.shape, "op '\(op.name)': the kernel window is larger than the padded input")
        }
        try SizeCheck.same(yt.shape, n, m, h.floorOutput, w.floorOutput, op: op, what: "Y's shape")
        try SizeCheck.vector(bt, m, op: op, tensor: "B")

        x = xt.data
        weights = wt.data
        bias = bt?.data
        y = yt.data
        batch = n
        inChannels = c
        outChannels = m
        groups = g
        groupIn = c / g
        groupOut = m / g
        depth = groupIn * h.kernel * w.kernel   // = W's element count / m: already bounded

        let outPlane = h.output * w.output
        let kernel = GemmKernel.best
        self.kernel = kernel
        if ConvLayer.linksWinograd && wt.isConstant
            && Winograd.applies(h: h, w: w, groupIn: groupIn, groupOut: groupOut, groups: g) {
            path = WinogradF4.preferred(h: h, w: w) ? .winogradF4 : .winograd
        } else if ConvLayer.linksDepthwise && groupIn == 1 {
            path = .depthwise
        } else if ConvLayer.prefersDirect(c: c, m: m, groups: g, h: h, w: w) {
#if arch(x86_64)
            path = .direct
#else
            path = .im2col
#endif
        } else if h.kernel == 1 && w.kernel == 1 && h.stride == 1 && w.stride == 1
                    && h.padBefore == 0 && h.padAfter == 0 && w.padBefore == 0 && w.padAfter == 0 {
            path = .pointwise
        } else {
            path = .im2col
        }
        packsFromInput = path == .im2col && outPlane >= ConvLayer.packFromInputMinOutputs

        // The GEMMs' left operand, packed by one call for every path (three inlined
        // PackedOperand inits cost ~0.4 KB of the device binary): W per group [Mg, depth]
        // (pointwise: depth = Cg), or the transformed Winograd weights, `positions` [M, C].
        var source = wt.data, constant = wt.isConstant, rows = groupOut, gemmDepth = depth, count = g
        var transformed: OwnedFloats?
        var gemmN = 0, below = 0
        if path == .winogradF4 || path == .winograd {
            tile = 0
#if !EDGE_CONV_SELECTION || EDGE_CONV_winograd
            let plan = path == .winogradF4 ? WinogradF4.plan(c: c, m: m, h: h, w: w)
                                           : Winograd.plan(c: c, m: m, h: h, w: w)
            let k = plan.positions
            _ = try SizeCheck.multiply(k * (c + m), plan.ld, op: op, what: "Winograd scratch")
            _ = try SizeCheck.multiply(k * m, c, op: op, what: "Winograd weights")
            wino = plan
            // Transformed weights: 36 (16) matrices [M x C], packed once, the plain copy kept
            // alive until then and dropped.
            let u = try plan.transformWeights(wt.data)
            transformed = u
            source = u.pointer
            constant = true
            rows = m
            count = k
            below = plan.scratchFloats
            gemmN = plan.chunkRows * plan.tilesW
            gemmDepth = c
#else
            wino = nil
#endif
        } else if path == .im2col {
            if packsFromInput {
                tile = outPlane
                below = 0
            } else {
                let fit = ConvLayer.im2colTileFloats / depth
                tile = Swift.min(outPlane, Swift.max(fit, ConvLayer.im2colMinTile))
                below = try SizeCheck.multiply(depth, tile, op: op, what: "im2col scratch")
            }
            wino = nil
            gemmN = tile
        } else if path == .depthwise || ConvLayer.isDirect(path) {
            tile = 0
            // Padded extents are bounded by the checked input plus two bounded pads.
            let paddedPlane = try SizeCheck.multiply(h.input + h.padBefore + h.padAfter,
                                                     w.input + w.padBefore + w.padAfter,
                                                     op: op, what: "padded plane scratch")
            below = path == .depthwise ? DepthwiseConv(h: h, w: w).scratchFloats
                                       : try SizeCheck.multiply(paddedPlane, c, op: op, what: "direct conv scratch")
            wino = nil
        } else {
            tile = 0
            wino = nil
            gemmN = outPlane
        }
        left = path == .depthwise || ConvLayer.isDirect(path) ? nil
            : try PackedOperand(kernel: kernel, source: source, constant: constant, rows: rows, depth: gemmDepth,
                                rowStride: gemmDepth, depthStride: 1, count: count, itemStride: rows * gemmDepth)
        withExtendedLifetime(transformed) {}
#if arch(x86_64)
        directConv = path == .direct ? DirectConv(channels: c, outChannels: m, h: h, w: w) : nil
        if let d = directConv { below = d.scratchFloats }   // one band: at most the checked padded planes
#endif
        geometry = edge_conv_geometry(channels: groupIn, h: h, w: w)
        gemmScratch = below
        leftScratch = below + (left == nil ? 0 : packedGemmScratch(kernel, n: gemmN, depth: gemmDepth))
        scratchFloats = leftScratch + (left?.scratchFloats ?? 0)
        direct = DepthwiseConv(h: h, w: w)
        flops = SizeCheck.flops(2, n * m * outPlane, depth)
    }

    /// The few-input-channel direct kernel takes the conv (x86-64 with AVX2+FMA only).
    static func prefersDirect(c: Int, m: Int, groups: Int, h: WindowAxis, w: WindowAxis) -> Bool {
#if arch(x86_64)
        return DirectConv.applies(channels: c, outChannels: m, groups: groups, h: h, w: w)
#else
        return false
#endif
    }

    /// A 1×1 conv on a 1×1 plane (squeeze-excitation's FCs): y_g = W_g x_g as a gemv that
    /// streams W once. The GEMM would pack x and fill one column of its 32-wide tile:
    /// MobileNetV3-small's FCs ran at 1-3 GFLOP/s, 8% of the model.
    func onePixel(group g: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let b = bias.map { $0 + g * groupOut }
        if let b { y.update(from: b, count: groupOut) }
        edge_gemv_rows(weights + g * groupOut * groupIn, groupIn, groupOut, groupIn, x, y, b == nil ? 0 : 1)
        activation.apply(y, count: groupOut)
    }

    static func isDirect(_ path: Path) -> Bool {
#if arch(x86_64)
        return path == .direct
#else
        return false
#endif
    }

    public func run(scratch: UnsafeMutablePointer<Float>) {
        let inPlane = h.input * w.input
        let outPlane = h.output * w.output
        switch path {
        case .winogradF4, .winograd:
            // Without the kernel (kernel selection) load never chooses this path.
#if !EDGE_CONV_SELECTION || EDGE_CONV_winograd
            guard let plan = wino, let left else { return }
            for b in 0..<batch {
                plan.run(x: x + b * inChannels * inPlane, u: left, bias: bias, activation: activation,
                         y: y + b * outChannels * outPlane, scratch: scratch, gemmScratch: scratch + gemmScratch)
            }
#endif
        case .pointwise:
            guard let left else { return }
            for b in 0..<batch {
                for g in 0..<groups {
                    let xg = x + (b * inChannels + g * groupIn) * inPlane
                    let yg = y + (b * outChannels + g * groupOut) * outPlane
                    if outPlane == 1 {
                        onePixel(group: g, x: xg, y: yg)
                        continue
                    }
                    packedGemm(kernel, m: groupOut, n: outPlane, depth: groupIn,
                               left: left.item(g, scratch: scratch + leftScratch),
                               right: xg, rowStride: inPlane, columnStride: 1, c: yg, ldc: outPlane,
                               bias: bias.map { $0 + g * groupOut }, activation: activation,
                               scratch: scratch + gemmScratch)
                }
            }
        case .im2col:
            guard let left else { return }
            for b in 0..<batch {
                for g in 0..<groups {
                    let xg = x + (b * inChannels + g * groupIn) * inPlane
                    let yg = y + (b * outChannels + g * groupOut) * outPlane
                    let wg = left.item(g, scratch: scratch + leftScratch)
                    if packsFromInput {
                        convGemm(kernel, m: groupOut, left: wg, geometry: geometry, x: xg, c: yg,
                                 bias: bias.map { $0 + g * groupOut }, activation: activation,
                                 scratch: scratch + gemmScratch)
                        continue
                    }
                    var first = 0
                    while first < outPlane {
                        let cols = Swift.min(tile, outPlane - first)
                        im2col(xg, channels: groupIn, h: h, w: w, first: first, count: cols, into: scratch)
                        packedGemm(kernel, m: groupOut, n: cols, depth: depth, left: wg,
                                   right: scratch, rowStride: cols, columnStride: 1, c: yg + first, ldc: outPlane,
                                   bias: bias.map { $0 + g * groupOut }, activation: activation,
                                   scratch: scratch + gemmScratch)
                        first += cols
                    }
                }
            }
#if arch(x86_64)
        case .direct:
            guard let directConv else { return }
            for b in 0..<batch {
                directConv.run(x + b * inChannels * inPlane, weights: weights, bias: bias, activation: activation,
                               scratch: scratch, into: y + b * outChannels * outPlane)
            }
#endif
        case .depthwise:
#if !EDGE_CONV_SELECTION || EDGE_CONV_depthwise
            for b in 0..<batch {
                direct.run(x + b * inChannels * inPlane, weights: weights, bias: bias, channels: outChannels,
                           multiplier: groupOut, activation: activation, scratch: scratch,
                           into: y + b * outChannels * outPlane)
            }
#endif
        }
    }
}
