import EdgeFormat

/// One spatial axis of a sliding window (Conv, ConvTranspose, pools).
///
/// Output `o` looks at inputs `o * stride - padBefore + t * dilation` for taps
/// `t in 0..<kernel`. Kernels never test every tap against the borders: they ask for the
/// range of outputs where a tap lands inside the input (`outputs(tap:)`) or where every
/// tap does (`interior`), and run bounds-check-free loops over those ranges.
struct WindowAxis {
    var input: Int
    var output: Int
    var kernel: Int
    var stride: Int
    var dilation: Int
    var padBefore: Int
    var padAfter: Int

    /// Extent of one window in input elements.
    var span: Int { dilation * (kernel - 1) + 1 }

    /// Validates the attribute values (ranges only; each op checks `output` its own way).
    init(input: Int, output: Int, kernel: Int64, stride: Int64, dilation: Int64,
         padBefore: Int64, padAfter: Int64, axis: @autoclosure () -> String, op: OpDescription) throws(EdgeError) {
        self.input = input
        self.output = output
        self.kernel = try SizeCheck.attribute(kernel, min: 1, op: op, what: "kernel \(axis())")
        self.stride = try SizeCheck.attribute(stride, min: 1, op: op, what: "stride \(axis())")
        self.dilation = try SizeCheck.attribute(dilation, min: 1, op: op, what: "dilation \(axis())")
        self.padBefore = try SizeCheck.attribute(padBefore, min: 0, op: op, what: "pad before \(axis())")
        self.padAfter = try SizeCheck.attribute(padAfter, min: 0, op: op, what: "pad after \(axis())")
    }

    /// Output size of a Conv/pool with floor rounding, or < 1 when the window does not fit.
    var floorOutput: Int {
        let room = input + padBefore + padAfter - span
        return room < 0 ? 0 : room / stride + 1
    }

    /// Output size with ceil rounding (pools' `ceil_mode`), before dropping a last window
    /// that would start past the input.
    var ceilOutput: Int {
        let room = input + padBefore + padAfter - span
        return room < 0 ? 0 : (room + stride - 1) / stride + 1
    }

    /// Pool rules. Y's extent is authoritative (the compiler resolved `ceil_mode`) but must
    /// be one of ONNX's two roundings; the last window must start before the input ends
    /// (the ceil-mode rule of onnxruntime and PyTorch); pads must be smaller than the
    /// kernel (onnxruntime rejects the rest). Together these guarantee every window of a
    /// dilation-free pool overlaps the input, so an average never divides by zero.
    func validatePool(axis: @autoclosure () -> String, op: OpDescription) throws(EdgeError) {
        guard padBefore < kernel, padAfter < kernel else {
            throw EdgeError(.unsupported, "op '\(op.name)': pads \(padBefore), \(padAfter) along \(axis()) "
                + "must be smaller than the kernel \(kernel)")
        }
        guard floorOutput >= 1 else {
            throw EdgeError(.shape, "op '\(op.name)': the window along \(axis()) is larger than the padded input")
        }
        guard output >= floorOutput, output <= ceilOutput, start(output - 1) < input else {
            throw EdgeError(.shape, "op '\(op.name)': output extent \(output) along \(axis()) does not follow "
                + "from input \(input), kernel, stride, dilation and pads")
        }
    }

    /// First input coordinate (possibly negative) of output `o`'s window.
    @inline(__always)
    func start(_ o: Int) -> Int { o * stride - padBefore }

    /// Outputs `lo..<hi` (clamped to `0..<output`) whose tap `t` reads inside the input.
    func outputs(tap t: Int) -> Range<Int> {
        let offset = t * dilation - padBefore      // input = o * stride + offset
        let lo = WindowAxis.ceilDiv(-offset, stride)
        let hi = WindowAxis.floorDiv(input - 1 - offset, stride) + 1
        return WindowAxis.clamp(lo, hi, output)
    }

    /// Outputs whose every tap reads inside the input: no border checks needed there.
    var interior: Range<Int> {
        let lo = WindowAxis.ceilDiv(padBefore, stride)
        let hi = WindowAxis.floorDiv(input - span + padBefore, stride) + 1
        return WindowAxis.clamp(lo, hi, output)
    }

    static func clamp(_ lo: Int, _ hi: Int, _ n: Int) -> Range<Int> {
        let l = Swift.min(Swift.max(lo, 0), n)
        let h = Swift.min(Swift.max(hi, l), n)
        return l..<h
    }

    @inline(__always)
    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    @inline(__always)
    static func ceilDiv(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? (a + b - 1) / b : -((-a) / b)
    }
}
