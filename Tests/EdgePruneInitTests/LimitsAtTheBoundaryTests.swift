import EdgeCompiler
import EdgeFormat
import EdgePruneInit
import EdgeRuntime
import XCTest

/// A model the compiler accepts also loads: the compiler and the runtime share
/// `EdgeLimits`. (Here because OnnxWriter, which builds the models, is EdgePruneInit's.)
final class LimitsAtTheBoundaryTests: XCTestCase {
    /// A 1x1 Conv on a 1x1x1x1 input with the given stride and right pad.
    func convModel(stride: Int64, pad: Int64) throws -> [UInt8] {
        let w = OnnxTensor(name: "w", dataType: OnnxDataType.float, dims: [1, 1, 1, 1], data: .float([2]))
        let conv = OnnxNode(name: "conv", opType: "Conv", domain: "", inputs: ["x", "w"], outputs: ["y"],
                            attributes: ["kernel_shape": .ints([1, 1]), "strides": .ints([stride, stride]),
                                         "pads": .ints([0, 0, 0, pad])])
        let graph = OnnxGraph(name: "limits", nodes: [conv], initializers: [w],
                              inputs: [OnnxValueInfo(name: "x", elementType: OnnxDataType.float,
                                                     shape: [.value(1), .value(1), .value(1), .value(1)])],
                              outputs: [OnnxValueInfo(name: "y", elementType: OnnxDataType.float, shape: nil)],
                              valueInfo: [])
        let model = OnnxModel(irVersion: 8, opsets: ["": 13], producerName: "test", producerVersion: "",
                              metadata: [:], graph: graph)
        return try OnnxWriter.serialize(model)
    }

    func testAttributesAtTheLimitCompileAndLoad() throws {
        let limit = EdgeLimits.maxAttribute
        for (stride, pad) in [(limit, 0), (1, limit)] {
            let compiled = try Compiler.compile(onnxBytes: try convModel(stride: stride, pad: pad), name: "limits",
                                                options: CompileOptions())
            let interpreter = try Interpreter(bytes: compiled.bytes)
            interpreter.run()
        }
    }

    func testAttributesPastTheLimitAreRefusedByTheCompiler() throws {
        let past = EdgeLimits.maxAttribute + 1
        for (stride, pad) in [(past, 0), (1, past)] {
            XCTAssertThrowsError(try Compiler.compile(onnxBytes: try convModel(stride: stride, pad: pad), name: "limits",
                                                      options: CompileOptions()), "stride \(stride) pad \(pad)") { error in
                XCTAssertEqual((error as? EdgeError)?.kind, .shape, "\(error)")
            }
        }
    }
}
