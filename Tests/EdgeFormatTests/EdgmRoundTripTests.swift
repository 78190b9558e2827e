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

    /// Every element type the reader accepts, encoded byte by byte here (little-endian),
    /// read back as the same values; data one byte short is a format error.
    func testNpyElementTypes() throws {
        func le(_ v: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        let values: [Float] = [0, 1, -2, 7, 100, -128, 3]
        let cases: [(String, Int, (Float) -> [UInt8])] = [
            ("<f4", 4, { le(UInt64($0.bitPattern), 4) }),
            ("<i4", 4, { le(UInt64(UInt32(bitPattern: Int32($0))), 4) }),
            ("<f8", 8, { le(Double($0).bitPattern, 8) }),
            ("<i8", 8, { le(UInt64(bitPattern: Int64($0)), 8) }),
            ("|i1", 1, { [UInt8(bitPattern: Int8($0))] }),
        ]
        for (descr, width, encode) in cases {
            var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': (7,), }".utf8)
            while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
            header.append(0x0A)
            var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0] + le(UInt64(header.count), 2) + header
            for v in values { bytes += encode(v) }
            XCTAssertEqual(bytes.count, 10 + header.count + 7 * width)
            let a = try bytes.withUnsafeBytes { raw in try Result<NpyArray, EdgeError>(catching: { () throws(EdgeError) in try NpyArray(bytes: raw) }).get() }
            XCTAssertEqual(a.shape, [7], descr)
            XCTAssertEqual(a.data, values, descr)
            bytes.removeLast()
            bytes.withUnsafeBytes { raw in
                do throws(EdgeError) {
                    _ = try NpyArray(bytes: raw)
                    XCTFail("\(descr): read a truncated array")
                } catch {
                    XCTAssertEqual(error.kind, .format, descr)
                }
            }
        }
        // Unsigned bytes and bools: 0...255 as is.
        for descr in ["|u1", "|b1"] {
            var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': (3,), }".utf8)
            header.append(0x0A)
            let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0] + le(UInt64(header.count), 2) + header + [0, 1, 255]
            let a = try bytes.withUnsafeBytes { raw in try Result<NpyArray, EdgeError>(catching: { () throws(EdgeError) in try NpyArray(bytes: raw) }).get() }
            XCTAssertEqual(a.data, [0, 1, 255], descr)
        }
    }

    /// Headers cut or changed anywhere (keys at the very end, unclosed quotes and parens,
    /// random bytes) read as an array or fail with an EdgeError: the scanners never read
    /// outside the header.
    func testNpyDamagedHeadersNeverCrash() {
        func read(_ bytes: [UInt8]) -> NpyArray? {
            bytes.withUnsafeBytes { raw in try? Result<NpyArray, EdgeError>(catching: { () throws(EdgeError) in try NpyArray(bytes: raw) }).get() }
        }
        func npy(_ header: String, data: [UInt8] = []) -> [UInt8] {
            let h = Array(header.utf8)
            return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + data
        }
        for header in ["", "'", "'descr'", "{'descr':", "{'descr': '<f4", "{'descr': '<f4', 'shape':", "{'descr': '<f4', 'shape': (",
                       "{'descr': '<f4', 'shape': 2)", "{'descr': '<f4', 'shape': ()", "{'descr': \"<f4\", 'shape': (1,)}",
                       "{'descr': '<f4', 'fortran_order': True", "{'descr': '<f4', 'fortran_order': Tru, 'shape': ()}"] {
            _ = read(npy(header, data: [0, 0, 0x80, 0x3F]))
        }
        XCTAssertEqual(read(npy("{'descr': \"<f4\", 'shape': (1,)}", data: [0, 0, 0x80, 0x3F]))?.data, [1])
        XCTAssertNil(read(npy("{'descr': '<f4', 'fortran_order': True, 'shape': ()}", data: [0, 0, 0x80, 0x3F])))
        XCTAssertNil(read(npy("{'descr': '<f2', 'shape': ()}", data: [0, 0, 0x80, 0x3F])))
        let good = NpyArray(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]).serialized()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33) % n
        }
        var accepted = 0
        for _ in 0..<5000 {
            var bytes = good
            for _ in 0..<(1 + next(3)) { bytes[8 + next(66)] = UInt8(truncatingIfNeeded: next(256)) }
            if next(4) == 0 { bytes.removeLast(next(bytes.count)) }
            if read(bytes) != nil { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 0)
        XCTAssertLessThan(accepted, 5000)
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
