import EdgeFormat

/// What one command runs: a contiguous range of layers (the whole model or a slice) and
/// the tensors that enter and leave it, with the `--slice` and `--input` option rules
/// that `edgec run`, `edgec bench` and the device's `edge-run` share.
public struct Execution {
    public var range: Range<Int>
    /// Tensor ids written before the run (graph inputs, or a slice's entering tensor).
    public var inputs: [Int]
    /// Tensor ids read after it (graph outputs, or a slice's leaving tensor).
    public var outputs: [Int]

    /// A range whose entering and leaving tensors the caller already knows (a split's
    /// head and tail, which are whole models of their own).
    public init(range: Range<Int>, inputs: [Int], outputs: [Int]) {
        self.range = range
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The whole model, or the slice "FROM:TO": inclusive layer indices as `edgec inspect`
    /// numbers them; an empty side means the first or the last layer. A cut that more
    /// than one tensor crosses is refused (`SlicePlan(strict: true)`).
    public init(_ model: EdgmModel, slice: String?) throws(EdgeError) {
        guard let slice else {
            range = 0..<model.ops.count
            inputs = []
            for id in model.graph.inputs { inputs.append(Int(id)) }
            outputs = []
            for id in model.graph.outputs { outputs.append(Int(id)) }
            return
        }
        // On the bytes, cut at the first colon: a second one is not a digit of TO.
        // Non-negative decimals below Int.max: `to + 1` cannot overflow (it would trap).
        var from: Int?
        var to: Int?
        let last = model.ops.count - 1
        Utf8Text.withUTF8(slice) { b in
            guard let colon = b.firstIndex(of: 0x3A) else { return }
            let head = UnsafeBufferPointer(rebasing: b[..<colon]), tail = UnsafeBufferPointer(rebasing: b[(colon + 1)...])
            from = head.isEmpty ? 0 : Utf8Text.parseCount(head, limit: Int.max - 1)
            to = tail.isEmpty ? last : Utf8Text.parseCount(tail, limit: Int.max - 1)
        }
        guard let from, let to, from <= to else {
            throw EdgeError(.invalidArgument, "--slice expects FROM:TO (layer indices, e.g. 0:12), got '\(slice)'")
        }
        let plan = try SlicePlan(model: model, range: from..<(to + 1), strict: true)
        range = plan.range
        inputs = plan.inputs
        outputs = plan.outputs
    }

    /// Reads `--input NAME=FILE.npy` options into one float array per entering tensor
    /// (in `inputs` order), checking names and element counts. `NAME=` may be left out
    /// when there is one input; a repeated name: the last one wins.
    public func readInputs(_ assignments: [String], _ model: EdgmModel) throws(EdgeError) -> [[Float]] {
        // The file of each entering tensor, by its place in `inputs`.
        var files = [String?](repeating: nil, count: inputs.count)
        for a in assignments {
            guard let (name, file) = Utf8Text.split(a, at: 0x3D, last: true) else {  // '='
                guard inputs.count == 1 else {
                    throw EdgeError(.invalidArgument, "--input expects NAME=VALUE, got '\(a)'")
                }
                files[0] = a
                continue
            }
            var known = false
            for k in 0..<inputs.count where Utf8Text.equal(model.tensors[inputs[k]].name, name) {
                files[k] = file
                known = true
            }
            guard known else {
                throw EdgeError(.invalidArgument, "--input names '\(name)', but the inputs are: \(describe(inputs, model))")
            }
        }
        var values: [[Float]] = []
        for (k, id) in inputs.enumerated() {
            let t = model.tensors[id]
            guard let file = files[k] else {
                throw EdgeError(.invalidArgument, "missing --input for '\(t.name)' \(ShapeText.of(t.shape)); inputs: \(describe(inputs, model))")
            }
            let array = try NpyArray.read(file)
            guard array.data.count == t.elementCount else {
                throw EdgeError(.shape, "input '\(t.name)' expects shape \(ShapeText.of(t.shape)), '\(file)' has \(ShapeText.of(array.shape))")
            }
            values.append(array.data)
        }
        return values
    }

    /// Writes `values` (from `readInputs`) into the entering tensors. A run may reuse an
    /// input's arena bytes, so repeated runs write them again each time.
    public func write(_ values: [[Float]], into interpreter: Interpreter) throws(EdgeError) {
        for (j, id) in inputs.enumerated() {
            // withUnsafeBufferPointer rethrows untyped errors: carry the typed one out.
            let result = values[j].withUnsafeBufferPointer { p -> Result<Void, EdgeError> in
                do throws(EdgeError) {
                    try interpreter.write(tensor: id, p)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            try result.get()
        }
    }

    /// "'name' [1x3x8x8], 'other' [1x10]" for messages.
    public func describe(_ ids: [Int], _ model: EdgmModel) -> String {
        var s = ""
        for (k, id) in ids.enumerated() {
            if k > 0 { s += ", " }
            s += "'\(model.tensors[id].name)' \(ShapeText.of(model.tensors[id].shape))"
        }
        return s
    }
}
