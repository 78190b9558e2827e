import EdgeCompiler
import EdgeFormat
import EdgePruneInit
import Foundation
import XCTest

/// OnnxWriter is OnnxReader's inverse on everything the reader keeps.
final class OnnxWriterTests: XCTestCase {
    let models = [
        "portfolio/digits_imp_00.onnx", "pruning/resnet_basic/model.onnx", "pruning/mixed_ops/model.onnx",
        "pruning/conv1d_prelu/model.onnx", "onnx_reader/dim_param.onnx",
        "onnx_reader/fp16_int.onnx", "models/mobilenetv2/model.onnx",
    ]

    func testRoundTripKeepsEveryField() throws {
        for m in models {
            let a = try OnnxReader.read(path: Fixtures.path(m))
            let bytes = try OnnxWriter.serialize(a)
            let b = try OnnxReader.read(bytes: bytes)
            XCTAssertEqual(a.irVersion, b.irVersion, m)
            XCTAssertEqual(a.opsets, b.opsets, m)
            XCTAssertEqual(a.producerName, b.producerName, m)
            XCTAssertEqual(a.metadata, b.metadata, m)
            XCTAssertEqual(a.graph.name, b.graph.name, m)
            XCTAssertEqual(a.graph.nodes.map(\.name), b.graph.nodes.map(\.name), m)
            XCTAssertEqual(a.graph.nodes.map(\.opType), b.graph.nodes.map(\.opType), m)
            XCTAssertEqual(a.graph.nodes.map(\.inputs), b.graph.nodes.map(\.inputs), m)
            XCTAssertEqual(a.graph.nodes.map(\.outputs), b.graph.nodes.map(\.outputs), m)
            for (x, y) in zip(a.graph.nodes, b.graph.nodes) {
                XCTAssertEqual(x.attributes.keys.sorted(), y.attributes.keys.sorted(), "\(m) \(x.name)")
                for (k, v) in x.attributes { XCTAssertEqual("\(v)", "\(y.attributes[k]!)", "\(m) \(x.name).\(k)") }
            }
            XCTAssertEqual(a.graph.inputs.map(\.name), b.graph.inputs.map(\.name), m)
            XCTAssertEqual(a.graph.inputs.map(\.shape), b.graph.inputs.map(\.shape), m)
            XCTAssertEqual(a.graph.inputs.map(\.elementType), b.graph.inputs.map(\.elementType), m)
            XCTAssertEqual(a.graph.outputs.map(\.shape), b.graph.outputs.map(\.shape), m)
            XCTAssertEqual(a.graph.initializers.map(\.name), b.graph.initializers.map(\.name), m)
            for (x, y) in zip(a.graph.initializers, b.graph.initializers) {
                XCTAssertEqual(x.dims, y.dims, "\(m) \(x.name)")
                XCTAssertEqual(x.floats, y.floats, "\(m) \(x.name)")
                XCTAssertEqual(x.int64s, y.int64s, "\(m) \(x.name)")
            }
            // A fixpoint: writing what was read back gives the same bytes.
            XCTAssertEqual(try OnnxWriter.serialize(b), bytes, m)
        }
    }

    /// The reader keeps only a subgraph's name: writing it back is refused, not faked.
    func testSubgraphsAreRefused() throws {
        let m = try OnnxReader.read(path: Fixtures.path("onnx_reader/attributes.onnx"))
        let e = edgeError { _ = try OnnxWriter.serialize(m) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertTrue(e?.message.contains("subgraphs") ?? false, e?.message ?? "")
    }

    func testRoundTripCompilesToTheSameModel() throws {
        let m = Fixtures.path("pruning/resnet_basic/model.onnx")
        let original = try Compiler.compile(onnxPath: m, options: CompileOptions())
        let written = try OnnxWriter.serialize(try OnnxReader.read(path: m))
        let again = try Compiler.compile(onnxBytes: written, name: "model", options: CompileOptions())
        XCTAssertEqual(original.params, again.params)
        XCTAssertEqual(original.opCount, again.opCount)
    }
}
