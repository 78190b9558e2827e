import EdgeFormat
import EdgeTestSupport
import XCTest

/// The loader's one-check reads (`integers`, `floats`, `record`) against the per-field reads
/// they replaced, on random bytes: the same values, the same position, and a short buffer
/// refused with a format error that leaves the position where it was.
final class ByteReaderTests: XCTestCase {
    func testBulkReadsMatchPerFieldReads() throws {
        var rng = SeededRNG(seed: 0x5EED)
        for _ in 0..<300 {
            let bytes = (0..<rng.int(0...119)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            try bytes.withUnsafeBytes { raw in
                var bulk = ByteReader(raw, context: "bulk")
                var plain = ByteReader(raw, context: "plain")
                for _ in 0..<8 {
                    let n = rng.int(0...5)
                    let before = bulk.position
                    switch rng.int(0...3) {
                    case 0:
                        guard let got = read({ () throws(EdgeError) in try bulk.integers(n, "i64s", as: Int64.self) }) else {
                            XCTAssertLessThan(plain.remaining, n * 8)
                            XCTAssertEqual(bulk.position, before)
                            return
                        }
                        var want: [Int64] = []
                        for _ in 0..<n { want.append(try plain.i64("i64")) }
                        XCTAssertEqual(got, want)
                    case 1:
                        guard let got = read({ () throws(EdgeError) in try bulk.integers(n, "i32s", as: Int32.self) }) else {
                            XCTAssertLessThan(plain.remaining, n * 4)
                            XCTAssertEqual(bulk.position, before)
                            return
                        }
                        var want: [Int32] = []
                        for _ in 0..<n { want.append(try plain.i32("i32")) }
                        XCTAssertEqual(got, want)
                    case 2:
                        guard let got = read({ () throws(EdgeError) in try bulk.floats(n, "f32s") }) else {
                            XCTAssertLessThan(plain.remaining, n * 4)
                            XCTAssertEqual(bulk.position, before)
                            return
                        }
                        var want: [UInt32] = []
                        for _ in 0..<n { want.append(try plain.u32("u32")) }
                        XCTAssertEqual(got.map(\.bitPattern), want)
                    default:
                        // u8, u16, u32, u64 at offsets 0, 1, 3, 7 of a 15-byte record.
                        guard let r = read({ () throws(EdgeError) in try bulk.record(15, "record") }) else {
                            XCTAssertLessThan(plain.remaining, 15)
                            XCTAssertEqual(bulk.position, before)
                            return
                        }
                        XCTAssertEqual(r.u8(0), try plain.u8("u8"))
                        XCTAssertEqual(r.u16(1), try plain.u16("u16"))
                        XCTAssertEqual(r.u32(3), try plain.u32("u32"))
                        XCTAssertEqual(r.u64(7), try plain.u64("u64"))
                    }
                    XCTAssertEqual(bulk.position, plain.position)
                }
            }
        }
    }

    func testHostileCountIsAFormatError() {
        let bytes = [UInt8](repeating: 7, count: 16)
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw, context: "test")
            for n in [Int.max, Int.max / 4 + 1, -1, 3] {
                do throws(EdgeError) {
                    let v = try r.integers(n, "ints", as: Int64.self)
                    XCTFail("read \(v.count) values")
                } catch {
                    XCTAssertEqual(error.kind, .format)
                }
            }
            XCTAssertEqual(r.position, 0)
        }
    }

    private func read<T>(_ body: () throws(EdgeError) -> T) -> T? {
        do throws(EdgeError) {
            return try body()
        } catch {
            XCTAssertEqual(error.kind, .format)
            return nil
        }
    }
}
