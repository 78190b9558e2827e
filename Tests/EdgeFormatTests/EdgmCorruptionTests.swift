import EdgeFormat
import XCTest

/// Broken and hostile `.edgm` images: each must end in a clear EdgeError, never a crash.
final class EdgmCorruptionTests: XCTestCase {
    func expectError(_ bytes: [UInt8], _ kind: EdgeError.Kind, containing text: String,
                     verify: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        switch EdgmTestModel.parse(bytes, verify: verify) {
        case .success:
            XCTFail("accepted a broken file (expected: \(text))", file: file, line: line)
        case .failure(let e):
            XCTAssertEqual(e.kind, kind, e.message, file: file, line: line)
            XCTAssertTrue(e.message.contains(text), "message '\(e.message)' lacks '\(text)'", file: file, line: line)
            XCTAssertFalse(e.message.contains("\n"), file: file, line: line)
        }
    }

    func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
        for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    /// Rewrites the section table CRC after editing the table, so the edit is what fails.
    func resealTable(_ b: inout [UInt8]) {
        let count = Int(b[12]) | Int(b[13]) << 8
        let table = Array(b[64..<(64 + count * 48)])
        put32(&b, 28, Zlib.crc32(table))
    }

    func sectionEntry(_ b: [UInt8], tag: SectionTag) -> Int {
        let count = Int(b[12])
        for i in 0..<count {
            let at = 64 + i * 48
            let t = UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
            if t == tag.rawValue { return at }
        }
        return -1
    }

    func testEmptyFile() {
        expectError([], .format, containing: "shorter than the 64-byte header")
    }

    func testRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        let junk = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        expectError(junk, .format, containing: "bad magic")
    }

    func testBadMagic() throws {
        var b = try EdgmTestModel.bytes()
        b[0] = UInt8(ascii: "X")
        expectError(b, .format, containing: "bad magic")
    }

    func testUnknownMajorVersion() throws {
        var b = try EdgmTestModel.bytes()
        b[4] = 2
        b[6] = 0
        expectError(b, .unsupported, containing: "version 2.0 is not supported")
    }

    func testEveryTruncationIsRejected() throws {
        let b = try EdgmTestModel.bytes()
        for n in 0..<b.count {
            guard case .failure(let e) = EdgmTestModel.parse(Array(b[0..<n])) else {
                return XCTFail("truncation to \(n) bytes was accepted")
            }
            XCTAssertEqual(e.kind, .format)
        }
    }

    func testAppendedBytesAreRejected() throws {
        expectError(try EdgmTestModel.bytes() + [0, 0, 0], .format, containing: "header says")
    }

    func testSectionTableCRCMismatch() throws {
        var b = try EdgmTestModel.bytes()
        b[64 + 36] ^= 0xFF  // a reserved byte of the first entry
        expectError(b, .format, containing: "section table CRC mismatch")
    }

    func testWeightCRCMismatch() throws {
        var b = try EdgmTestModel.bytes()
        let entry = sectionEntry(b, tag: .weights)
        let offset = Int(b[entry + 8]) | Int(b[entry + 9]) << 8 | Int(b[entry + 10]) << 16
        b[offset + 5] ^= 0x01
        expectError(b, .format, containing: "section WGHT: CRC mismatch")
        // Without verification the flipped bit is simply data.
        XCTAssertNoThrow(try EdgmTestModel.parse(b, verify: false).get())
    }

    func testSectionPastTheEnd() throws {
        var b = try EdgmTestModel.bytes()
        let entry = sectionEntry(b, tag: .ops)
        put64(&b, entry + 8, UInt64(b.count + 64 * 10))
        resealTable(&b)
        expectError(b, .format, containing: "run past the end of the file")
    }

    func testSectionSizeOverflow() throws {
        var b = try EdgmTestModel.bytes()
        let entry = sectionEntry(b, tag: .tensors)
        put64(&b, entry + 16, UInt64.max - 8)
        put64(&b, entry + 24, UInt64.max - 8)
        resealTable(&b)
        expectError(b, .format, containing: "run past the end of the file")
    }

    func testMisalignedSection() throws {
        var b = try EdgmTestModel.bytes()
        let entry = sectionEntry(b, tag: .ops)
        let offset = UInt64(b[entry + 8]) | UInt64(b[entry + 9]) << 8
        put64(&b, entry + 8, offset + 4)
        resealTable(&b)
        expectError(b, .format, containing: "aligned")
    }

    func testHostileSectionCount() throws {
        var b = try EdgmTestModel.bytes()
        put32(&b, 12, 0xFFFF_FFFF)
        expectError(b, .format, containing: "sections is more than")
    }

    func testMissingSection() throws {
        var b = try EdgmTestModel.bytes()
        let entry = sectionEntry(b, tag: .graph)
        put32(&b, entry, 0x5858_5858)  // "XXXX": an unknown tag is skipped, GRPH is then missing
        resealTable(&b)
        expectError(b, .format, containing: "no GRPH section")
    }

    func testDuplicateSection() throws {
        var b = try EdgmTestModel.bytes()
        let ops = sectionEntry(b, tag: .ops)
        let meta = sectionEntry(b, tag: .meta)
        put32(&b, meta, SectionTag.ops.rawValue)
        _ = ops
        resealTable(&b)
        expectError(b, .format, containing: "appears twice")
    }

    /// Builds a file from a hand-edited model (sections consistent, content hostile).
    func serialize(_ edit: (inout EdgmModel) -> Void) throws -> [UInt8] {
        var m = EdgmTestModel.model()
        edit(&m)
        return try EdgmWriter.serialize(m, weights: EdgmTestModel.weights())
    }

    func testTensorOutsideArena() throws {
        expectError(try serialize { $0.tensors[1].offset = 4096 }, .format, containing: "outside the arena")
    }

    func testWeightOutsideSection() throws {
        expectError(try serialize { $0.tensors[2].offset = 1 << 20 }, .format, containing: "outside the weights")
    }

    func testOverflowingDims() throws {
        let b = try serialize {
            $0.tensors[0].shape = [-3, 4]
        }
        expectError(b, .format, containing: "is invalid")
        let c = try serialize {
            $0.tensors[0].shape = [1 << 20, 1 << 20, 1 << 20]
        }
        expectError(c, .format, containing: "overflows")
    }

    func testByteCountDisagreesWithShape() throws {
        expectError(try serialize { $0.tensors[0].byteCount = 12 }, .format, containing: "do not match its shape")
    }

    func testOpIdsOutOfRange() throws {
        expectError(try serialize { $0.ops[0].inputs = [99] }, .format, containing: "out of range")
        expectError(try serialize { $0.graph.outputs = [-5] }, .format, containing: "out of range")
    }

    func testOpMayNotWriteIntoWeights() throws {
        expectError(try serialize { $0.ops[0].outputs = [2] }, .format, containing: "is a weight")
    }

    func testArenaSmallerThanLowerBound() throws {
        expectError(try serialize { $0.graph.arenaBytes = 16 }, .format, containing: "implausible")
    }

    func testUnknownOpCode() throws {
        var b = try EdgmTestModel.bytes()
        let entry = sectionEntry(b, tag: .ops)
        let offset = Int(b[entry + 8]) | Int(b[entry + 9]) << 8
        b[offset + 4] = 0xEE  // first op's code
        b[offset + 5] = 0x7E
        let size = Int(b[entry + 16]) | Int(b[entry + 17]) << 8
        put32(&b, entry + 32, Zlib.crc32(Array(b[offset..<(offset + size)])))
        resealTable(&b)
        expectError(b, .unsupported, containing: "not known to this runtime")
    }

    func testBadCompressedSection() throws {
        var b = try EdgmTestModel.bytes(compress: true)
        let entry = sectionEntry(b, tag: .weights)
        let offset = Int(b[entry + 8]) | Int(b[entry + 9]) << 8
        let stored = Int(b[entry + 16]) | Int(b[entry + 17]) << 8
        b[offset + 2] ^= 0xFF
        put32(&b, entry + 32, Zlib.crc32(Array(b[offset..<(offset + stored)])))
        resealTable(&b)
        expectError(b, .format, containing: "inflate")
    }

    func testSeededMutationsNeverCrash() throws {
        let good = try EdgmTestModel.bytes()
        var state: UInt64 = 12345
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        var accepted = 0
        for _ in 0..<20000 {
            var b = good
            for _ in 0..<(1 + next() % 4) {
                b[next() % b.count] = UInt8(truncatingIfNeeded: next())
            }
            if case .success = EdgmTestModel.parse(b, verify: false) { accepted += 1 }
        }
        // Most mutations land in data or names; what matters is that none crashed.
        XCTAssertGreaterThan(accepted, 0)
    }
}
