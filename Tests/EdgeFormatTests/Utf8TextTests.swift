import XCTest
@testable import EdgeFormat

/// Utf8Text compares bytes with its own loops (no stdlib generic algorithms, for the device
/// binary's size): checked here against the stdlib's byte-wise answers.
final class Utf8TextTests: XCTestCase {
    // Empty, ASCII, multi-byte UTF-8 (small and heap-allocated strings) and a prefix that
    // is a whole code point of a longer one.
    private let samples = ["", "a", "ab", "abc", "b", "conv.weight", "conv.weight/1", "é", "e\u{301}",
                           "日本語のテンソル名", "日本", "x/y/z", "/", String(repeating: "long name ", count: 8)]

    func testEqualPrefixSuffixMatchByteComparison() {
        for a in samples {
            for b in samples {
                let x = Array(a.utf8), y = Array(b.utf8)
                XCTAssertEqual(Utf8Text.equal(a, b), x == y, "equal(\(a), \(b))")
                XCTAssertEqual(Utf8Text.hasPrefix(a, b), x.starts(with: y), "hasPrefix(\(a), \(b))")
                XCTAssertEqual(Utf8Text.hasSuffix(a, b), x.reversed().starts(with: y.reversed()), "hasSuffix(\(a), \(b))")
            }
        }
        // Canonically equivalent but different bytes: not equal (names are byte strings).
        XCTAssertFalse(Utf8Text.equal("é", "e\u{301}"))
    }

    func testCStringIsTheBytesAndOneNul() {
        for s in samples {
            let c = Utf8Text.cString(s)
            XCTAssertEqual(c.count, s.utf8.count + 1)
            XCTAssertEqual(c.last, 0)
            XCTAssertEqual(c.dropLast().map { UInt8(bitPattern: $0) }, Array(s.utf8))
            XCTAssertEqual(Utf8Text.withCString(s) { String(cString: $0) }, s)
        }
        // A substring's copy is not contiguous with its base string's start.
        let sub = String("prefix/name".utf8.dropFirst(7))!
        XCTAssertEqual(Utf8Text.withCString(sub) { String(cString: $0) }, "name")
    }
}
