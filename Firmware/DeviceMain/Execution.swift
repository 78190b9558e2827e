import EdgeFormat
import EdgeRuntime

/// The layers a run covers and the tensors entering and leaving them (mirrors the host's
/// `Execution` in Sources/edgec/ModelInputs.swift, without Foundation).
struct Execution {
    var range: Range<Int>
    var inputs: [Int]
    var outputs: [Int]

    /// The whole model, or the slice "FROM:TO" (inclusive layer indices; an empty side
    /// means the first or the last layer).
    init(_ interpreter: Interpreter, slice: String?) throws(EdgeError) {
        let m = interpreter.model
        guard let slice else {
            range = 0..<m.ops.count
            inputs = []
            for id in m.graph.inputs { inputs.append(Int(id)) }
            outputs = []
            for id in m.graph.outputs { outputs.append(Int(id)) }
            return
        }
        let parts = Utf8Text.components(slice, separator: 0x3A)  // colon
        let bad = EdgeError(.invalidArgument, "--slice expects FROM:TO (layer indices, e.g. 0:12), got '\(slice)'")
        guard parts.count == 2 else { throw bad }
        let fromText = parts[0].isEmpty ? "0" : parts[0]
        let toText = parts[1].isEmpty ? "\(m.ops.count - 1)" : parts[1]
        // The limit keeps `to + 1` from overflowing (which would trap).
        guard let from = Utf8Text.parseCount(fromText, limit: Int.max - 1),
              let to = Utf8Text.parseCount(toText, limit: Int.max - 1), from <= to else { throw bad }
        let plan = try SlicePlan(model: m, range: from..<(to + 1), strict: true)
        range = plan.range
        inputs = plan.inputs
        outputs = plan.outputs
    }

    /// Reads `--input NAME=FILE.npy` options into float arrays, one per entering tensor
    /// (in `inputs` order), checking names and element counts as the host does.
    func load(_ assignments: [String], _ m: EdgmModel) throws(EdgeError) -> [[Float]] {
        var names: [String] = []
        var files: [String] = []
        for a in assignments {
            var name: String
            var file: String
            if let (n, f) = Utf8Text.split(a, at: 0x3D, last: true) {  // '='
                name = n
                file = f
            } else if inputs.count == 1 {
                name = m.tensors[inputs[0]].name
                file = a
            } else {
                throw EdgeError(.invalidArgument, "--input expects NAME=VALUE, got '\(a)'")
            }
            var known = false
            for id in inputs where Utf8Text.equal(m.tensors[id].name, name) { known = true }
            guard known else {
                throw EdgeError(.invalidArgument, "--input names '\(name)', but the inputs are: \(describe(inputs, m))")
            }
            // A repeated name: the last one wins (as the host's dictionary does).
            var replaced = false
            for k in 0..<names.count where Utf8Text.equal(names[k], name) {
                files[k] = file
                replaced = true
            }
            if !replaced {
                names.append(name)
                files.append(file)
            }
        }
        var values: [[Float]] = []
        for id in inputs {
            let t = m.tensors[id]
            var file: String?
            for k in 0..<names.count where Utf8Text.equal(names[k], t.name) { file = files[k] }
            guard let file else {
                throw EdgeError(.invalidArgument, "missing --input for '\(t.name)' \(ShapeText.of(t.shape)); inputs: \(describe(inputs, m))")
            }
            let array = try NpyArray.read(file)
            guard array.data.count == t.elementCount else {
                throw EdgeError(.shape, "input '\(t.name)' expects shape \(ShapeText.of(t.shape)), '\(file)' has \(ShapeText.of(array.shape))")
            }
            values.append(array.data)
        }
        return values
    }

    func describe(_ ids: [Int], _ m: EdgmModel) -> String {
        var s = ""
        for (k, id) in ids.enumerated() {
            if k > 0 { s += ", " }
            s += "'\(m.tensors[id].name)' \(ShapeText.of(m.tensors[id].shape))"
        }
        return s
    }
}
