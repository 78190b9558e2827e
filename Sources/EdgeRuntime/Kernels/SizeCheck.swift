import EdgeFormat

/// Load-time checks that turn a malformed op record into an `EdgeError` instead of a trap.
///
/// Swift traps on integer overflow and a kernel trusts every size it is given, so each
/// count a layer derives from file data (shapes, attributes, their products) passes
/// through here before `run` can ever see it.
enum SizeCheck {
    /// Largest element count of any tensor, matrix dimension or scratch buffer (EdgeLimits).
    static let maxElements = EdgeLimits.maxElements

    /// Bound for kernel sizes, strides, dilations and pads (EdgeLimits).
    static let maxAttribute = EdgeLimits.maxAttribute

    /// Shape text for messages (same style as the interpreter's).
    ///
    /// The labels below (`tensor:`, `what:`) are autoclosures like `EdgeError`'s message: a
    /// build with `EDGE_STRIP_MESSAGES` never evaluates them, so a label such as
    /// `"output \(i)"` costs no String code at the call site.
    static func describe(_ shape: [Int]) -> String { ShapeText.of(shape) }

    /// `required` inputs that must be present, then up to `optional` ones that may be
    /// absent (nil) or missing from the end; exactly `outputs` outputs.
    static func operands(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef],
                         required: Int, optional: Int = 0, outputCount: Int = 1) throws(EdgeError) {
        guard inputs.count >= required, inputs.count <= required + optional else {
            throw EdgeError(.format, "op '\(op.name)': expected "
                + (optional == 0 ? "\(required)" : "\(required) to \(required + optional)")
                + " inputs, found \(inputs.count)")
        }
        for i in 0..<required where inputs[i] == nil {
            throw EdgeError(.format, "op '\(op.name)': input \(i) is required but absent")
        }
        guard outputs.count == outputCount else {
            throw EdgeError(.format, "op '\(op.name)': expected \(outputCount) outputs, found \(outputs.count)")
        }
    }

    /// The element count of a shape whose dims are all >= 1, or an error.
    @discardableResult
    static func count(_ shape: [Int], op: OpDescription, tensor: @autoclosure () -> String) throws(EdgeError) -> Int {
        var n = 1
        for d in shape {
            guard d >= 1 else {
                throw EdgeError(.shape, "op '\(op.name)': \(tensor()) has an empty or negative dim \(describe(shape))")
            }
            n = try multiply(n, d, op: op, what: "\(tensor()) element count")
        }
        return n
    }

    /// X and Y of a 2-D pooling op: one 4-D input, one 4-D output with X's batch and
    /// channels (the record is checked by the op's params).
    static func poolOperands(_ op: OpDescription, inputs: [TensorRef?], outputs: [TensorRef]) throws(EdgeError) -> (TensorRef, TensorRef) {
        try operands(op, inputs: inputs, outputs: outputs, required: 1)
        guard let xt = inputs[0] else { throw EdgeError(.format, "op '\(op.name)': missing X") }
        let yt = outputs[0]
        try tensor(xt, rank: 4, op: op, tensor: "X")
        try tensor(yt, rank: 4, op: op, tensor: "Y")
        // In place: two array copies of the leading dims cost an allocation each.
        guard yt.shape[0] == xt.shape[0], yt.shape[1] == xt.shape[1] else {
            throw EdgeError(.shape, "op '\(op.name)': Y's batch and channels are \(describe(Array(yt.shape[0..<2]))), "
                + "expected \(describe(Array(xt.shape[0..<2])))")
        }
        return (xt, yt)
    }

    /// An optional per-channel vector (a bias) holds exactly `expected` elements.
    static func vector(_ t: TensorRef?, _ expected: Int, op: OpDescription, tensor: @autoclosure () -> String) throws(EdgeError) {
        guard let t else { return }
        let n = try count(t.shape, op: op, tensor: tensor())
        guard n == expected else {
            throw EdgeError(.shape, "op '\(op.name)': \(tensor()) has \(n) elements, expected \(expected)")
        }
    }

    /// A tensor of the given rank with a valid element count.
    static func tensor(_ t: TensorRef, rank: Int, op: OpDescription, tensor name: @autoclosure () -> String) throws(EdgeError) {
        guard t.shape.count == rank else {
            throw EdgeError(.shape, "op '\(op.name)': \(name()) must have rank \(rank), has shape \(describe(t.shape))")
        }
        try count(t.shape, op: op, tensor: name())
    }

    /// a * b, both non-negative, bounded by `maxElements`.
    static func multiply(_ a: Int, _ b: Int, op: OpDescription, what: @autoclosure () -> String) throws(EdgeError) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow, a >= 0, b >= 0, p <= maxElements else {
            throw EdgeError(.shape, "op '\(op.name)': \(what()) is too large (\(a) x \(b))")
        }
        return p
    }

    /// A flop count for reports: the product of `factors`, saturating at `Int.max`
    /// instead of trapping (a big layer on a 32-bit target may exceed 2^31 flops).
    /// Two or three factors, not an array: a literal per layer was an allocation in its init.
    static func flops(_ a: Int, _ b: Int, _ c: Int = 1) -> Int {
        let (ab, o1) = a.multipliedReportingOverflow(by: b)
        let (abc, o2) = ab.multipliedReportingOverflow(by: c)
        return o1 || o2 ? Int.max : abc
    }

    /// Product of several factors with the same bound.
    static func product(_ factors: [Int], op: OpDescription, what: @autoclosure () -> String) throws(EdgeError) -> Int {
        var p = 1
        for f in factors { p = try multiply(p, f, op: op, what: what()) }
        return p
    }

    /// An `Int64` attribute in `min...maxAttribute`, as `Int`.
    static func attribute(_ v: Int64, min: Int64, op: OpDescription, what: @autoclosure () -> String) throws(EdgeError) -> Int {
        guard v >= min, v <= maxAttribute else {
            throw EdgeError(.format, "op '\(op.name)': \(what()) \(v) is out of range \(min)...\(maxAttribute)")
        }
        return Int(v)
    }

    /// Throws a shape error unless `actual == [a, b, c, d]`, without building that array
    /// (only the message does): an array literal per check is an allocation and a release
    /// in every layer's init.
    static func same(_ actual: [Int], _ a: Int, _ b: Int, _ c: Int, _ d: Int, op: OpDescription,
                     what: @autoclosure () -> String) throws(EdgeError) {
        guard actual.count == 4, actual[0] == a, actual[1] == b, actual[2] == c, actual[3] == d else {
            throw EdgeError(.shape, "op '\(op.name)': \(what()) is \(describe(actual)), expected \(describe([a, b, c, d]))")
        }
    }

    /// Throws a shape error unless `actual == expected`.
    static func same(_ actual: [Int], _ expected: [Int], op: OpDescription, what: @autoclosure () -> String) throws(EdgeError) {
        guard actual == expected else {
            throw EdgeError(.shape, "op '\(op.name)': \(what()) is \(describe(actual)), expected \(describe(expected))")
        }
    }
}
