import EdgeFormat
import XCTest

final class EdgmRoundTripTests: XCTestCase {
    func testWriteThenReadGivesTheSameModel() throws {
        for compress in [false, true] {
            let bytes = try EdgmTestModel.bytes(compress: compress)
            let file = try EdgmTestModel.parse(bytes).get()
            let m = EdgmTestModel.model()
            XCTAssertEqual(file.model.tensors, m.tensors)
            XCTAssertEqual(file.model.ops, m.ops)
            XCTAssertEqual(file.model.graph, m.graph)
            XCTAssertEqual(file.model.metadata, m.metadata)
            XCTAssertEqual(Array(file.weights), EdgmTestModel.weights())
            XCTAssertEqual(file.version.major, 1)
        }
    }

    func testSectionsAreAlignedForZeroCopy() throws {
        let bytes = try EdgmTestModel.bytes()
        let file = try EdgmTestModel.parse(bytes).get()
        for s in file.sections { XCTAssertEqual(s.offset % 64, 0, s.name) }
        XCTAssertEqual(bytes.count % 64, 0)
        XCTAssertNil(file.inflatedWeights, "uncompressed weights must be used in place")
    }

    func testCompressedWeightsAreSmallerForRedundantData() throws {
        var m = EdgmTestModel.model()
        m.tensors[2] = EdgmTensor(name: "w", storage: .weight, shape: [4096], offset: 0, byteCount: 16384)
        let zeros = [UInt8](repeating: 0, count: 16384)
        let plain = try EdgmWriter.serialize(m, weights: zeros)
        let packed = try EdgmWriter.serialize(m, weights: zeros, compressWeights: true)
        XCTAssertLessThan(packed.count, plain.count / 4)
        let file = try EdgmTestModel.parse(packed).get()
        XCTAssertEqual(Array(file.weights), zeros)
        XCTAssertNotNil(file.inflatedWeights)
    }

    func testNpyRoundTripAndForeignTypes() throws {
        let a = NpyArray(shape: [2, 3], data: [1, -2, 3.5, 4, 5, 6])
        let bytes = a.serialized()
        let b = try bytes.withUnsafeBytes { raw in try Result<NpyArray, EdgeError>(catching: { () throws(EdgeError) in try NpyArray(bytes: raw) }).get() }
        XCTAssertEqual(a, b)
        // A 1-D shape keeps numpy's trailing comma.
        let one = NpyArray(shape: [3], data: [1, 2, 3]).serialized()
        XCTAssertTrue(String(decoding: one.prefix(80), as: UTF8.self).contains("(3,)"))
        XCTAssertEqual((bytes.count - 24) % 64, 0)
    }

    /// The header is numpy's own text (`np.save` writes the same dict), padded with spaces
    /// and a newline so the data starts at a multiple of 64 bytes.
    func testNpyHeaderText() {
        for (shape, text) in [([2, 3], "(2, 3)"), ([7], "(7,)"), ([], "()"), ([1, 3, 224, 224], "(1, 3, 224, 224)")] {
            let count = shape.reduce(1, *)
            let bytes = NpyArray(shape: shape, data: [Float](repeating: 0, count: count)).serialized()
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            XCTAssertEqual((10 + headerLength) % 64, 0, text)
            XCTAssertEqual(bytes.count, 10 + headerLength + 4 * count, text)
            let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
            let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(text), }"
            XCTAssertTrue(header.hasPrefix(dict), header)
            XCTAssertTrue(header.hasSuffix("\n"), header)
            XCTAssertEqual(header.dropFirst(dict.utf8.count).dropLast().filter { $0 != " " }, "", header)
        }
    }

    /// A name that is not valid UTF-8 is a format error, not a repaired string.
    func testInvalidUTF8NameIsAFormatError() {
        let bytes: [UInt8] = [3, 0, 0, 0, 0x61, 0xFF, 0x62]
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw, context: "test")
            do throws(EdgeError) {
                let s = try r.string("name")
                XCTFail("read '\(s)'")
            } catch {
                XCTAssertEqual(error.kind, .format)
                XCTAssertTrue(error.message.contains("not valid UTF-8"), error.message)
            }
        }
    }
}
