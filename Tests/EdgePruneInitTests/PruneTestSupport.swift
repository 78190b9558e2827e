import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

enum Fixtures {
    static let root = TestPaths.fixtures

    static func path(_ relative: String) -> String { TestPaths.fixture(relative) }
}

/// Output channels of every Conv and Gemm of an ONNX model, by node name.
func outputChannels(_ model: OnnxModel) -> [String: Int] {
    var out: [String: Int] = [:]
    for n in model.graph.nodes where n.opType == "Conv" || n.opType == "Gemm" {
        guard let w = model.graph.initializer(named: n.inputs[1]) else { continue }
        var transB = false
        if case .int(let v)? = n.attributes["transB"] { transB = v != 0 }
        out[n.name] = Int(n.opType == "Conv" || transB ? w.dims[0] : w.dims[1])
    }
    return out
}

/// Compiles ONNX bytes and runs them on one input; returns the first output.
func runInEdge(_ bytes: [UInt8], input: String, output: String, _ x: NpyArray) throws -> [Float] {
    let compiled = try Compiler.compile(onnxBytes: bytes, name: "pruned", options: CompileOptions())
    let interpreter = try Interpreter(bytes: compiled.bytes)
    let i = try XCTUnwrap(interpreter.tensorId(named: input))
    let o = try XCTUnwrap(interpreter.tensorId(named: output))
    try x.data.withUnsafeBufferPointer { (p) throws(EdgeError) in try interpreter.write(tensor: i, p) }
    interpreter.run()
    return Array(interpreter.read(tensor: o))
}

/// A throwing call's EdgeError kind and message.
func edgeError(_ body: () throws -> Void) -> EdgeError? {
    do { try body() } catch let e as EdgeError { return e } catch { return nil }
    return nil
}
