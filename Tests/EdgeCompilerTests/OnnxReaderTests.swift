import EdgeFormat
import EdgeTestSupport
import Foundation
import XCTest

@testable import EdgeCompiler

/// Fixtures come from Tools/make_onnx_reader_fixtures.py; the handcrafted cases use the
/// small protobuf encoder `PB` at the end of this file.
final class OnnxReaderTests: XCTestCase {
    static let fixtures = TestPaths.fixtures.appendingPathComponent("onnx_reader")

    func fixturePath(_ name: String) -> String {
        Self.fixtures.appendingPathComponent(name).path
    }

    func fixtureBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
    }

    func tensor(_ graph: OnnxGraph, _ name: String, file: StaticString = #filePath, line: UInt = #line) -> OnnxTensor? {
        let t = graph.initializer(named: name)
        XCTAssertNotNil(t, "no initializer \(name)", file: file, line: line)
        return t
    }

    // MARK: - Fixtures decode exactly

    func testTinyConvWithRawDataInitializers() throws {
        let model = try OnnxReader.read(path: fixturePath("tiny_conv.onnx"))
        XCTAssertEqual(model.irVersion, 8)
        XCTAssertEqual(model.opsets, ["": 13, "ai.onnx.ml": 3])
        XCTAssertEqual(model.defaultOpset, 13)
        XCTAssertEqual(model.producerName, "edge-fixtures")
        XCTAssertEqual(model.producerVersion, "1.0")
        XCTAssertEqual(model.metadata, ["author": "edge", "purpose": "reader test"])

        let g = model.graph
        XCTAssertEqual(g.name, "tiny_conv")
        XCTAssertEqual(g.nodes.map(\.opType), ["Conv", "Relu"])
        let conv = g.nodes[0]
        XCTAssertEqual(conv.name, "conv1")
        XCTAssertEqual(conv.domain, "")
        XCTAssertEqual(conv.inputs, ["x", "w", "b"])
        XCTAssertEqual(conv.outputs, ["c"])
        XCTAssertEqual(conv.ints("kernel_shape", default: []), [3, 3])
        XCTAssertEqual(conv.ints("pads", default: []), [1, 1, 1, 1])
        XCTAssertEqual(conv.ints("strides", default: []), [1, 1])
        XCTAssertEqual(conv.int("group", default: 99), 1)
        XCTAssertEqual(conv.ints("dilations", default: [1, 1]), [1, 1])
        XCTAssertEqual(g.nodes[1].inputs, ["c"])
        XCTAssertEqual(g.nodes[1].outputs, ["y"])
        XCTAssertTrue(g.nodes[1].attributes.isEmpty)

        XCTAssertEqual(g.inputs.map(\.name), ["x"])
        XCTAssertEqual(g.runtimeInputs.map(\.name), ["x"])
        XCTAssertEqual(g.inputs[0].elementType, OnnxDataType.float)
        XCTAssertEqual(g.inputs[0].shape, [.value(1), .value(1), .value(4), .value(4)])
        XCTAssertEqual(g.outputs[0].shape, [.value(1), .value(2), .value(4), .value(4)])
        XCTAssertEqual(g.valueInfo.map(\.name), ["c"])

        let w = try XCTUnwrap(tensor(g, "w"))
        XCTAssertEqual(w.dataType, OnnxDataType.float)
        XCTAssertEqual(w.dims, [2, 1, 3, 3])
        XCTAssertEqual(w.elementCount, 18)
        XCTAssertEqual(w.floats, (0..<18).map { Float($0) * 0.25 - 2 })
        XCTAssertNil(w.int64s)
        XCTAssertEqual(try XCTUnwrap(tensor(g, "b")).floats, [0.5, -1.5])
    }

    func testPathAndBytesAgree() throws {
        for name in ["tiny_conv.onnx", "fp16_int.onnx"] {
            let a = try OnnxReader.read(path: fixturePath(name)).graph
            let b = try OnnxReader.read(bytes: try fixtureBytes(name)).graph
            XCTAssertEqual(a.nodes.map(\.opType), b.nodes.map(\.opType))
            XCTAssertEqual(a.initializers.map(\.name), b.initializers.map(\.name))
            XCTAssertEqual(a.initializers.map(\.floats), b.initializers.map(\.floats))
        }
    }

    func testTypedFieldStorage() throws {
        let g = try OnnxReader.read(path: fixturePath("float_data.onnx")).graph
        let f = try XCTUnwrap(tensor(g, "f"))
        XCTAssertEqual(f.dims, [2, 3])
        XCTAssertEqual(f.floats, [1.0, -2.5, 3.25, 0.0, Float(1e-3), -7.0])
        let i64 = try XCTUnwrap(tensor(g, "i64"))
        XCTAssertEqual(i64.dataType, OnnxDataType.int64)
        XCTAssertEqual(i64.int64s, [1, -1, 1 << 40, -(1 << 62)])
        XCTAssertEqual(try XCTUnwrap(tensor(g, "d")).floats, [0.5, -1.25, 1e10])
        let scalar = try XCTUnwrap(tensor(g, "scalar"))
        XCTAssertEqual(scalar.dims, [])
        XCTAssertEqual(scalar.elementCount, 1)
        XCTAssertEqual(scalar.floats, [42])
        let empty = try XCTUnwrap(tensor(g, "empty"))
        XCTAssertEqual(empty.dims, [0, 3])
        XCTAssertEqual(empty.floats, [])
        XCTAssertEqual(g.nodes[0].opType, "Add")
        XCTAssertEqual(g.nodes[0].name, "")
    }

    func testHalfFloatsAndIntegerTypes() throws {
        let model = try OnnxReader.read(path: fixturePath("fp16_int.onnx"))
        XCTAssertEqual(model.opsets, ["": 17])
        let g = model.graph
        let halves: [Float] = [1, -2, 0.5, 65504, 0x1p-14, 0x1p-24]
        XCTAssertEqual(try XCTUnwrap(tensor(g, "h_int32")).floats, halves)
        XCTAssertEqual(try XCTUnwrap(tensor(g, "h_raw")).floats, halves)
        XCTAssertEqual(try XCTUnwrap(tensor(g, "h_raw")).dataType, OnnxDataType.float16)
        XCTAssertEqual(try XCTUnwrap(tensor(g, "bf16")).floats, [1, -3, 0.15625])
        XCTAssertEqual(try XCTUnwrap(tensor(g, "d_raw")).floats, [Float(0.1), -2])

        let ints: [(String, [Int64])] = [
            ("i32", [1, -2, 2_147_483_647, -2_147_483_648]), ("i32_raw", [7, -9, 123_456]),
            ("bool", [1, 0, 0, 1]), ("bool_raw", [0, 1, 1]),
            ("i8", [-128, 0, 127]), ("i8_raw", [-5, 100]),
            ("u8", [0, 128, 255]), ("u8_raw", [200, 1]),
            ("i16", [-32768, 32767]), ("i16_raw", [-300, 300]),
            ("u16", [0, 65535]), ("u16_raw", [65535, 7]),
            ("u32", [0, 4_294_967_295]), ("u32_raw", [4_294_967_295, 3]),
            ("u64", [0, Int64.max]), ("u64_raw", [Int64.max, 9]),
            ("i64_raw", [Int64.min, Int64.max]),
        ]
        for (name, expected) in ints {
            XCTAssertEqual(try XCTUnwrap(tensor(g, name)).int64s, expected, name)
        }
        XCTAssertEqual(g.inputs[0].elementType, OnnxDataType.float16)
    }

    func testAttributesOfEveryKind() throws {
        let model = try OnnxReader.read(path: fixturePath("attributes.onnx"))
        XCTAssertEqual(model.opsets, ["": 13, "com.example": 1])
        let iff = model.graph.nodes[0]
        XCTAssertEqual(iff.opType, "If")
        guard case .graph(let thenName)? = iff.attributes["then_branch"],
            case .graph(let elseName)? = iff.attributes["else_branch"]
        else { return XCTFail("If branches should read as .graph") }
        XCTAssertEqual(thenName, "then_branch")
        XCTAssertEqual(elseName, "else_branch")

        let n = model.graph.nodes[1]
        XCTAssertEqual(n.name, "every")
        XCTAssertEqual(n.opType, "EveryKind")
        XCTAssertEqual(n.domain, "com.example")
        XCTAssertEqual(n.inputs, ["x", "", "z"])
        XCTAssertEqual(n.outputs, ["y", ""])
        XCTAssertEqual(n.attributes.count, 12)
        XCTAssertEqual(n.int("i", default: 0), -7)
        XCTAssertEqual(n.float("f", default: 0), 0.375)
        XCTAssertEqual(n.string("s", default: ""), "héllo")
        XCTAssertEqual(n.ints("ints", default: []), [1, -2, 3])
        XCTAssertEqual(n.floats("floats", default: []), [0.5, -1.5])
        XCTAssertEqual(n.strings("strings", default: []), ["a", "bc", ""])
        let t = try XCTUnwrap(n.tensor("t"))
        XCTAssertEqual(t.name, "t")
        XCTAssertEqual(t.dims, [2])
        XCTAssertEqual(t.floats, [1.5, -0.25])
        if case .graph(let name)? = n.attributes["g"] { XCTAssertEqual(name, "then_branch") } else {
            XCTFail("g should be .graph")
        }
        if case .unsupported(let kind)? = n.attributes["tensors"] { XCTAssertEqual(kind, "TENSORS") } else {
            XCTFail("tensors should be .unsupported")
        }
        if case .unsupported(let kind)? = n.attributes["graphs"] { XCTAssertEqual(kind, "GRAPHS") } else {
            XCTFail("graphs should be .unsupported")
        }
        XCTAssertEqual(n.ints("empty_ints", default: [5]), [])
        XCTAssertEqual(n.attributes["empty_ints"]?.typeName, "INTS")
        XCTAssertEqual(n.int("untyped_int", default: 0), 9, "type inferred when the type field is missing")

        // Lenient accessors fall back to the default; strict ones explain.
        XCTAssertEqual(n.int("f", default: 3), 3)
        XCTAssertEqual(n.int("missing", default: 4), 4)
        XCTAssertEqual(n.float("i", default: 0), -7, "an INT reads as a float")
        XCTAssertEqual(try n.requireInt("i"), -7)
        XCTAssertEqual(try n.requireInts("missing", default: [2]), [2])
        XCTAssertEqual(try n.requireTensor("t").floats, [1.5, -0.25])
        assertEdgeError(.format, containing: "attribute 'f' should be INT but is FLOAT") { _ = try n.requireInt("f") }
        assertEdgeError(.format, containing: "required attribute 'axis' (INT) is missing") { _ = try n.requireInt("axis") }
        assertEdgeError(.format, containing: "EveryKind 'every'") { _ = try n.requireString("ints") }
    }

    func testSymbolicAndUnknownDims() throws {
        let g = try OnnxReader.read(path: fixturePath("dim_param.onnx")).graph
        let byName = Dictionary(uniqueKeysWithValues: g.inputs.map { ($0.name, $0) })
        XCTAssertEqual(byName["x"]?.shape, [.param("N"), .value(3), .unknown, .param("seq_len")])
        XCTAssertEqual(byName["x"]?.elementType, OnnxDataType.float)
        XCTAssertEqual(byName["scalar"]?.shape, [])
        XCTAssertEqual(byName["no_shape"]?.elementType, OnnxDataType.int64)
        XCTAssertNil(byName["no_shape"]?.shape)
        XCTAssertEqual(byName["no_type"]?.elementType, 0)
        XCTAssertNil(byName["no_type"]?.shape)
        XCTAssertEqual(byName["seq"]?.elementType, 0, "a sequence type is not a tensor")
        XCTAssertNil(byName["seq"]?.shape)
        XCTAssertEqual(g.outputs[0].shape, [.param("N"), .value(3), .unknown, .param("seq_len")])
    }

    func testExternalDataIsUnsupported() {
        assertEdgeError(.unsupported, containing: "external tensor data is not supported: tensor 'big_weight'") {
            _ = try OnnxReader.read(path: fixturePath("external_data.onnx"))
        }
        assertEdgeError(.unsupported, containing: "external_data.onnx: ") {
            _ = try OnnxReader.read(path: fixturePath("external_data.onnx"))
        }
        // Also when only the external_data entries are present.
        var t = PB.tensor("w", type: 1, dims: [1])
        t = t.message(13, PB().string(1, "location").string(2, "w.bin"))
        assertEdgeError(.unsupported, containing: "tensor 'w'") { _ = try OnnxReader.read(bytes: PB.model(initializers: [t])) }
    }

    // MARK: - Wire format

    func testPackedAndUnpackedRepeatedScalarsBothDecode() throws {
        // dims, float_data, int64_data, int32_data, double_data, uint64_data written both ways,
        // and once mixing a packed run with single elements (which protobuf concatenates).
        let f: [Float] = [1.5, -2, 0.25]
        var unpacked = PB.tensor("f_unpacked", type: 1, dims: [3], packedDims: false)
        for v in f { unpacked = unpacked.fixed32(4, v.bitPattern) }
        var packed = PB.tensor("f_packed", type: 1, dims: [3], packedDims: true)
        packed = packed.packedFixed32(4, f.map(\.bitPattern))
        var mixed = PB.tensor("f_mixed", type: 1, dims: [3])
        mixed = mixed.fixed32(4, f[0].bitPattern)
        mixed = mixed.packedFixed32(4, [f[1].bitPattern, f[2].bitPattern])
        var i64u = PB.tensor("i64_unpacked", type: 7, dims: [2])
        i64u = i64u.varintField(7, UInt64(bitPattern: -3)).varintField(7, 1 << 50)
        var i64p = PB.tensor("i64_packed", type: 7, dims: [2], packedDims: true)
        i64p = i64p.packedVarints(7, [UInt64(bitPattern: -3), 1 << 50])
        var i32u = PB.tensor("i32_unpacked", type: 6, dims: [2])
        i32u = i32u.varintField(5, UInt64(bitPattern: -4)).varintField(5, 4)
        var i32p = PB.tensor("i32_packed", type: 6, dims: [2])
        i32p = i32p.packedVarints(5, [UInt64(bitPattern: -4), 4])
        var du = PB.tensor("d_unpacked", type: 11, dims: [2])
        du = du.fixed64(10, Double(0.5).bitPattern).fixed64(10, Double(-8).bitPattern)
        var u64u = PB.tensor("u64_unpacked", type: 13, dims: [2])
        u64u = u64u.varintField(11, 7).varintField(11, 1 << 62)

        var node = PB().string(4, "Foo")
        node = node.message(5, PB().string(1, "ints_unpacked").varintField(20, 7).varintField(8, 1).varintField(8, UInt64(bitPattern: -1)))
        node = node.message(5, PB().string(1, "ints_packed").varintField(20, 7).packedVarints(8, [1, UInt64(bitPattern: -1)]))
        node = node.message(5, PB().string(1, "floats_unpacked").varintField(20, 6).fixed32(7, Float(0.5).bitPattern).fixed32(7, Float(2).bitPattern))
        node = node.message(5, PB().string(1, "floats_packed").varintField(20, 6).packedFixed32(7, [Float(0.5).bitPattern, Float(2).bitPattern]))

        let model = try OnnxReader.read(bytes: PB.model(initializers: [unpacked, packed, mixed, i64u, i64p, i32u, i32p, du, u64u], nodes: [node]))
        let g = model.graph
        for name in ["f_unpacked", "f_packed", "f_mixed"] {
            XCTAssertEqual(try XCTUnwrap(tensor(g, name)).floats, f, name)
            XCTAssertEqual(try XCTUnwrap(tensor(g, name)).dims, [3], name)
        }
        XCTAssertEqual(try XCTUnwrap(tensor(g, "i64_unpacked")).int64s, [-3, 1 << 50])
        XCTAssertEqual(try XCTUnwrap(tensor(g, "i64_packed")).int64s, [-3, 1 << 50])
        XCTAssertEqual(try XCTUnwrap(tensor(g, "i32_unpacked")).int64s, [-4, 4])
        XCTAssertEqual(try XCTUnwrap(tensor(g, "i32_packed")).int64s, [-4, 4])
        XCTAssertEqual(try XCTUnwrap(tensor(g, "d_unpacked")).floats, [0.5, -8])
        XCTAssertEqual(try XCTUnwrap(tensor(g, "u64_unpacked")).int64s, [7, 1 << 62])
        let n = g.nodes[0]
        XCTAssertEqual(n.ints("ints_unpacked", default: []), [1, -1])
        XCTAssertEqual(n.ints("ints_packed", default: []), [1, -1])
        XCTAssertEqual(n.floats("floats_unpacked", default: []), [0.5, 2])
        XCTAssertEqual(n.floats("floats_packed", default: []), [0.5, 2])
    }

    func testUnknownFieldsAreSkipped() throws {
        // Fields Edge does not declare (training_info 20, functions 25, sparse_initializer 15,
        // a varint in field 999) must not disturb decoding.
        var graph = PB().string(2, "g")
        graph = graph.message(15, PB().varintField(1, 1))
        graph = graph.message(5, PB.tensor("w", type: 1, dims: [1]).fixed32(4, Float(3).bitPattern))
        var model = PB().varintField(1, 9)
        model = model.message(20, PB().string(1, "x"))
        model = model.message(7, graph)
        model = model.message(25, PB().string(1, "fn"))
        model = model.varintField(999, 12345)
        model = model.fixed64(1000, 0)
        let m = try OnnxReader.read(bytes: model.bytes)
        XCTAssertEqual(m.irVersion, 9)
        XCTAssertEqual(m.graph.name, "g")
        XCTAssertEqual(m.graph.initializers.first?.floats, [3])
        XCTAssertEqual(m.opsets, [:])
    }

    // MARK: - Broken inputs

    func testMissingFileAndDirectory() {
        assertEdgeError(.io, containing: "No such file") {
            _ = try OnnxReader.read(path: fixturePath("does_not_exist.onnx"))
        }
        assertEdgeError(.io, containing: "is a directory") { _ = try OnnxReader.read(path: Self.fixtures.path) }
        assertEdgeError(.io, containing: "path is empty") { _ = try OnnxReader.read(path: "") }
    }

    func testEmptyInput() throws {
        assertEdgeError(.format, containing: "empty") { _ = try OnnxReader.read(bytes: []) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edge-empty-\(getpid()).onnx")
        try Data().write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        assertEdgeError(.format, containing: "the file is empty") { _ = try OnnxReader.read(path: url.path) }
        assertEdgeError(.format, containing: url.path) { _ = try OnnxReader.read(path: url.path) }
    }

    func testRandomBytesAndOtherFiles() throws {
        // 300 random byte strings, in edge-fuzz children (a trap fails this test alone).
        let report = try FuzzCampaign("onnx-random", seed: 7, iterations: 300).run()
        report.assertNoCrashes("random bytes")
        XCTAssertEqual(report["format"], 300, "every random input is a format error: \(report.counts)")
        assertEdgeError(.format, containing: "zip archive") { _ = try OnnxReader.read(bytes: [0x50, 0x4B, 3, 4, 0, 0]) }
        assertEdgeError(.format) { _ = try OnnxReader.read(bytes: Array("ir_version: 8\ngraph { }\n".utf8)) }
    }

    func testProtobufThatIsNotAModel() {
        // A TensorProto (what ONNX test-data .pb files hold): dims 3, data_type 1, raw_data.
        var t = PB().varintField(1, 3).varintField(2, 1)
        t = t.bytesField(9, [UInt8](repeating: 0, count: 12))
        assertEdgeError(.format, containing: "does not look like an ONNX model") { _ = try OnnxReader.read(bytes: t.bytes) }
        // A valid ModelProto without a graph.
        assertEdgeError(.format, containing: "has no graph") { _ = try OnnxReader.read(bytes: PB().varintField(1, 8).bytes) }
        // producer_name written as a varint.
        assertEdgeError(.format, containing: "producer_name has wire type 0") {
            _ = try OnnxReader.read(bytes: PB().varintField(2, 8).bytes)
        }
    }

    func testTensorDataLengthMustMatchDims() {
        var raw = PB.tensor("w", type: 1, dims: [3])
        raw = raw.bytesField(9, [UInt8](repeating: 0, count: 10))
        assertEdgeError(.format, containing: "initializer 'w' (FLOAT, dims [3]) has 10 bytes of raw_data, expected 12") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [raw]))
        }
        var typed = PB.tensor("w", type: 1, dims: [2, 2])
        typed = typed.packedFixed32(4, [0, 0, 0])
        assertEdgeError(.format, containing: "has 3 values in float_data, expected 4") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [typed]))
        }
        let none = PB.tensor("w", type: 7, dims: [2])
        assertEdgeError(.format, containing: "has 0 values in int64_data, expected 2") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [none]))
        }
        var wrongField = PB.tensor("w", type: 1, dims: [1])
        wrongField = wrongField.packedVarints(7, [1])
        assertEdgeError(.format, containing: "stores values in int64_data, which is not valid for FLOAT") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [wrongField]))
        }
        var both = PB.tensor("w", type: 1, dims: [1])
        both = both.packedFixed32(4, [0]).bytesField(9, [0, 0, 0, 0])
        assertEdgeError(.format, containing: "both raw_data and float_data") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [both]))
        }
        // An attribute tensor says where it sits.
        var bad = PB.tensor("v", type: 1, dims: [2])
        bad = bad.bytesField(9, [0, 0, 0, 0])
        var node = PB().string(3, "c0").string(4, "Constant")
        node = node.message(5, PB().string(1, "value").varintField(20, 4).message(5, bad))
        assertEdgeError(.format, containing: "tensor in attribute 'value' of node #0 'c0' (Constant) 'v'") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [], nodes: [node]))
        }
    }

    func testBadDims() {
        assertEdgeError(.format, containing: "negative dimension") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [PB.tensor("w", type: 1, dims: [2, -1])]))
        }
        assertEdgeError(.format, containing: "more than 2^31 elements") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [PB.tensor("w", type: 1, dims: [1 << 40, 1 << 40])]))
        }
        assertEdgeError(.format, containing: "more than 2^31 elements") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [PB.tensor("w", type: 1, dims: [65536, 65536])]))
        }
        assertEdgeError(.format, containing: "more than 2^31 elements") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [PB.tensor("w", type: 1, dims: [0, Int64.max, Int64.max])]))
        }
        XCTAssertEqual(
            try OnnxReader.read(bytes: PB.model(initializers: [PB.tensor("w", type: 1, dims: [0, 1 << 20])])).graph.initializers[0].floats,
            [])
    }

    func testUnsupportedTensorTypes() {
        var s = PB.tensor("names", type: 8, dims: [1])
        s = s.bytesField(6, Array("abc".utf8))
        assertEdgeError(.unsupported, containing: "tensor 'names' (initializer) has data type STRING") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [s]))
        }
        var c = PB.tensor("z", type: 14, dims: [1])
        c = c.packedFixed32(4, [0, 0])
        assertEdgeError(.unsupported, containing: "tensor 'z' (initializer) has data type COMPLEX64") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [c]))
        }
        assertEdgeError(.unsupported, containing: "data type UNDEFINED") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [PB.tensor("u", type: 0, dims: [])]))
        }
        var big = PB.tensor("big", type: 13, dims: [1])
        big = big.packedVarints(11, [UInt64(Int64.max) + 1])
        assertEdgeError(.unsupported, containing: "holds 9223372036854775808, beyond the Int64 range") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [big]))
        }
        var bigRaw = PB.tensor("big", type: 13, dims: [1])
        bigRaw = bigRaw.bytesField(9, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        assertEdgeError(.unsupported, containing: "beyond the Int64 range") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [bigRaw]))
        }
        var u32 = PB.tensor("u", type: 12, dims: [1])
        u32 = u32.packedVarints(11, [1 << 32])
        assertEdgeError(.format, containing: "does not fit UINT32") { _ = try OnnxReader.read(bytes: PB.model(initializers: [u32])) }
    }

    func testNodeProblems() {
        var twice = PB().string(4, "Relu")
        twice = twice.message(5, PB().string(1, "a").varintField(20, 2).varintField(3, 1))
        twice = twice.message(5, PB().string(1, "a").varintField(20, 2).varintField(3, 2))
        assertEdgeError(.format, containing: "has attribute 'a' twice") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [], nodes: [twice]))
        }
        assertEdgeError(.format, containing: "node #0 'n' has no op_type") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [], nodes: [PB().string(3, "n")]))
        }
        var attrTensorMissing = PB().string(4, "Constant")
        attrTensorMissing = attrTensorMissing.message(5, PB().string(1, "value").varintField(20, 4))
        assertEdgeError(.format, containing: "has type TENSOR but no tensor value") {
            _ = try OnnxReader.read(bytes: PB.model(initializers: [], nodes: [attrTensorMissing]))
        }
        var opsets = PB()
        opsets = opsets.message(8, PB().string(1, "").varintField(2, 13))
        opsets = opsets.message(8, PB().string(1, "ai.onnx").varintField(2, 11))
        opsets = opsets.message(7, PB().string(2, "g"))
        assertEdgeError(.format, containing: "opset_import lists domain 'ai.onnx' twice (versions 13 and 11)") {
            _ = try OnnxReader.read(bytes: opsets.bytes)
        }
    }

    func testDeepNestingIsRejectedNotAStackOverflow() {
        // AttributeProto.g -> GraphProto.node -> NodeProto.attribute -> ... 30000 levels deep
        // (protobuf-c alone would recurse once per level). Built inside out.
        var inner = PB().string(1, "leaf").varintField(3, 1)  // an AttributeProto
        for _ in 0..<10_000 {
            let node = PB().string(4, "If").message(5, inner)
            let graph = PB().message(1, node)
            inner = PB().string(1, "g").message(6, graph)
        }
        let node = PB().string(4, "If").message(5, inner)
        let model = PB().message(7, PB().message(1, node))
        assertEdgeError(.format, containing: "nested more than 100 levels") { _ = try OnnxReader.read(bytes: model.bytes) }

        // A legitimately nested subgraph well inside the limit still reads.
        var shallow = PB().string(1, "leaf").varintField(3, 1)
        for _ in 0..<20 {
            shallow = PB().string(1, "g").message(6, PB().string(2, "sub").message(1, PB().string(4, "If").message(5, shallow)))
        }
        XCTAssertNoThrow(try OnnxReader.read(bytes: PB().message(7, PB().message(1, PB().string(4, "If").message(5, shallow))).bytes))
    }

    func testEveryTruncationThrowsOrReads() throws {
        for name in ["tiny_conv.onnx", "attributes.onnx"] {
            let bytes = try fixtureBytes(name)
            var threw = 0
            var read = 0
            for n in 0..<bytes.count {
                do {
                    _ = try OnnxReader.read(bytes: Array(bytes[0..<n]))
                    read += 1
                } catch let error as EdgeError {
                    threw += 1
                    XCTAssertFalse(error.message.isEmpty)
                    XCTAssertFalse(error.message.contains("\n"), error.message)
                } catch {
                    XCTFail("prefix \(n) of \(name): unexpected error \(error)")
                }
            }
            XCTAssertEqual(threw + read, bytes.count)
            XCTAssertGreaterThan(threw, bytes.count / 2, name)
            XCTAssertNoThrow(try OnnxReader.read(bytes: bytes))
        }
    }

    func testRandomMutationsNeverCrash() throws {
        // 2000 edits of tiny_conv.onnx, in edge-fuzz children (a trap fails this test alone,
        // naming the saved input).
        let report = try FuzzCampaign("onnx-read", sources: [.init(path: fixturePath("tiny_conv.onnx"))], seed: 2024, iterations: 2000).run()
        report.assertNoCrashes("ONNX reader mutations")
        XCTAssertEqual(report["iterations"], 2000)
        XCTAssertEqual(report["unexpected"], 0, "errors other than EdgeError: \(report.counts)")
        XCTAssertEqual(report["multiline"], 0, "error messages spanning lines: \(report.counts)")
        XCTAssertGreaterThan(report["format"], 100, "\(report.counts)")
    }

    // MARK: - Helpers

    func testHalfToFloatMatchesFloat16() {
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
            for bits in 0...UInt16.max {
                let expected = Float(Float16(bitPattern: bits))
                let got = halfToFloat(bits)
                if expected.isNaN {
                    XCTAssertTrue(got.isNaN, "\(bits)")
                } else {
                    XCTAssertEqual(got.bitPattern, expected.bitPattern, "\(bits)")
                }
            }
        #endif
        XCTAssertEqual(bfloat16ToFloat(0x3F80), 1)
        XCTAssertEqual(OnnxDataType.name(1), "FLOAT")
        XCTAssertEqual(OnnxDataType.name(99), "data type 99")
    }

    func assertEdgeError(
        _ kind: EdgeError.Kind, containing text: String? = nil, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("expected an EdgeError(.\(kind))", file: file, line: line)
        } catch let error as EdgeError {
            XCTAssertEqual(error.kind, kind, error.message, file: file, line: line)
            if let text {
                XCTAssertTrue(error.message.contains(text), "'\(error.message)' should contain '\(text)'", file: file, line: line)
            }
            XCTAssertFalse(error.message.contains("\n"), file: file, line: line)
        } catch {
            XCTFail("expected EdgeError, got \(error)", file: file, line: line)
        }
    }
}

/// A minimal protobuf encoder for handcrafted test messages; every builder returns a copy.
struct PB {
    var bytes: [UInt8] = []

    private static func varint(_ value: UInt64) -> [UInt8] {
        var out = [UInt8]()
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    private func appending(_ field: Int, _ wireType: Int, _ payload: [UInt8]) -> PB {
        var copy = self
        copy.bytes += PB.varint(UInt64(field << 3 | wireType)) + payload
        return copy
    }

    func varintField(_ field: Int, _ value: UInt64) -> PB { appending(field, 0, PB.varint(value)) }

    func fixed32(_ field: Int, _ value: UInt32) -> PB {
        appending(field, 5, withUnsafeBytes(of: value.littleEndian) { Array($0) })
    }

    func fixed64(_ field: Int, _ value: UInt64) -> PB {
        appending(field, 1, withUnsafeBytes(of: value.littleEndian) { Array($0) })
    }

    func bytesField(_ field: Int, _ payload: [UInt8]) -> PB {
        appending(field, 2, PB.varint(UInt64(payload.count)) + payload)
    }

    func string(_ field: Int, _ s: String) -> PB { bytesField(field, Array(s.utf8)) }

    func message(_ field: Int, _ m: PB) -> PB { bytesField(field, m.bytes) }

    func packedVarints(_ field: Int, _ values: [UInt64]) -> PB {
        bytesField(field, values.flatMap { PB.varint($0) })
    }

    func packedFixed32(_ field: Int, _ values: [UInt32]) -> PB {
        bytesField(field, values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } })
    }

    /// TensorProto header: dims 1 (unpacked as ONNX writes it, or packed), data_type 2, name 8.
    static func tensor(_ name: String, type: Int32, dims: [Int64], packedDims: Bool = false) -> PB {
        var t = PB()
        if packedDims {
            t = t.packedVarints(1, dims.map { UInt64(bitPattern: $0) })
        } else {
            for d in dims { t = t.varintField(1, UInt64(bitPattern: d)) }
        }
        return t.varintField(2, UInt64(bitPattern: Int64(type))).string(8, name)
    }

    /// ModelProto { ir_version 8, opset_import { version 13 }, graph { node..., initializer... } }.
    static func model(initializers: [PB], nodes: [PB] = []) -> [UInt8] {
        var graph = PB().string(2, "handmade")
        for n in nodes { graph = graph.message(1, n) }
        for t in initializers { graph = graph.message(5, t) }
        return PB().varintField(1, 8).message(8, PB().varintField(2, 13)).message(7, graph).bytes
    }
}
