import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

extension FixtureCase {
    /// Compiles and runs every run; returns a description of each mismatch (empty = pass).
    func check() -> [String] {
        var problems: [String] = []
        for run in runs {
            do {
                var options = CompileOptions()
                options.inputShapes = run.shapes
                let compiled = try Compiler.compile(onnxPath: modelPath, options: options)
                let interpreter = try Interpreter(bytes: compiled.bytes)
                for (name, file) in run.inputs {
                    guard let id = interpreter.tensorId(named: name) else {
                        problems.append("\(self.name)/\(run.name): no input '\(name)'")
                        continue
                    }
                    let array = try NpyArray.read(path(file))
                    try array.data.withUnsafeBufferPointer { (p) throws(EdgeError) in try interpreter.write(tensor: id, p) }
                }
                interpreter.run()
                for (name, file) in run.outputs {
                    guard let id = interpreter.tensorId(named: name) else {
                        problems.append("\(self.name)/\(run.name): no output '\(name)'")
                        continue
                    }
                    let expected = try NpyArray.read(path(file))
                    let got = Array(interpreter.read(tensor: id))
                    guard let (worst, at) = worstRelativeErrorAndIndex(got, expected.data) else {
                        problems.append("\(self.name)/\(run.name): output '\(name)' has \(got.count) values, expected \(expected.data.count)")
                        continue
                    }
                    if !(worst <= tolerance) {
                        problems.append("\(self.name)/\(run.name): output '\(name)' differs: relative error \(worst) at \(at) (got \(got[at]), expected \(expected.data[at]))")
                    }
                }
            } catch {
                problems.append("\(self.name)/\(run.name): \(error)")
            }
        }
        return problems
    }
}
