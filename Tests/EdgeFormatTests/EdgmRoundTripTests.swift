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
}
