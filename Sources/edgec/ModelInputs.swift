import EdgeFormat
import EdgeRuntime
import Foundation

/// The layers a command runs and the tensors that enter and leave them.
struct Execution {
    var range: Range<Int>
    var inputs: [Int]
    var outputs: [Int]

    /// The whole model, or the slice "FROM:TO" (inclusive layer indices, as `inspect` numbers them).
    init(_ interpreter: Interpreter, slice: String?) throws {
        let m = interpreter.model
        guard let slice else {
            range = 0..<m.ops.count
            inputs = m.graph.inputs.map { Int($0) }
            outputs = m.graph.outputs.map { Int($0) }
            return
        }
        let parts = slice.split(separator: ":", omittingEmptySubsequences: false)
        // Non-negative decimals below Int.max, so `to + 1` cannot overflow (it trapped).
        guard parts.count == 2,
              let from = Utf8Text.parseCount(parts[0].isEmpty ? "0" : String(parts[0]), limit: Int.max - 1),
              let to = Utf8Text.parseCount(parts[1].isEmpty ? "\(m.ops.count - 1)" : String(parts[1]), limit: Int.max - 1),
              from <= to else {
            throw EdgeError(.invalidArgument, "--slice expects FROM:TO (layer indices, e.g. 0:12), got '\(slice)'")
        }
        let plan = try SlicePlan(model: m, range: from..<(to + 1), strict: true)
        range = plan.range
        inputs = plan.inputs
        outputs = plan.outputs
    }

    /// Reads `--input NAME=FILE.npy` options into the entering tensors.
    func load(_ assignments: [String], into interpreter: Interpreter) throws {
        let m = interpreter.model
        var given: [String: String] = [:]
        for a in assignments {
            if !a.contains("="), inputs.count == 1 {
                given[m.tensors[inputs[0]].name] = a
                continue
            }
            let (name, file) = try splitAssignment(a, "--input")
            guard inputs.contains(where: { m.tensors[$0].name == name }) else {
                throw EdgeError(.invalidArgument, "--input names '\(name)', but the inputs are: \(describe(inputs, m))")
            }
            given[name] = file
        }
        for id in inputs {
            let t = m.tensors[id]
            guard let file = given[t.name] else {
                throw EdgeError(.invalidArgument, "missing --input for '\(t.name)' \(ShapeText.of(t.shape)); inputs: \(describe(inputs, m))")
            }
            let array = try NpyArray.read(file)
            guard array.data.count == t.elementCount else {
                throw EdgeError(.shape, "input '\(t.name)' expects shape \(ShapeText.of(t.shape)), '\(file)' has \(ShapeText.of(array.shape))")
            }
            try array.data.withUnsafeBufferPointer { (p) throws(EdgeError) in try interpreter.write(tensor: id, p) }
        }
    }

    /// Fills the entering tensors with seeded pseudo-random values (for benchmarks).
    func fillRandom(_ interpreter: Interpreter) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for id in inputs {
            let n = interpreter.model.tensors[id].elementCount
            var values = [Float](repeating: 0, count: n)
            for i in 0..<n {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                values[i] = Float(Int64(state >> 40) - (1 << 23)) / Float(1 << 23)
            }
            try values.withUnsafeBufferPointer { (p) throws(EdgeError) in try interpreter.write(tensor: id, p) }
        }
    }

    func describe(_ ids: [Int], _ m: EdgmModel) -> String {
        ids.map { "'\(m.tensors[$0].name)' \(ShapeText.of(m.tensors[$0].shape))" }.joined(separator: ", ")
    }
}
