import EdgeFormat
import EdgeRuntime

extension Execution {
    /// Fills the entering tensors with seeded pseudo-random values (for benchmarks).
    func fillRandom(_ interpreter: Interpreter) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var values: [[Float]] = []
        for id in inputs {
            let n = interpreter.model.tensors[id].elementCount
            var v = [Float](repeating: 0, count: n)
            for i in 0..<n {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                v[i] = Float(Int64(state >> 40) - (1 << 23)) / Float(1 << 23)
            }
            values.append(v)
        }
        try write(values, into: interpreter)
    }

    /// Reads `--input NAME=FILE.npy` options into the entering tensors.
    func load(_ assignments: [String], into interpreter: Interpreter) throws {
        try write(try readInputs(assignments, interpreter.model), into: interpreter)
    }
}
