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

    func testSplitComponentsAndCountMatchTheStdlib() {
        for s in samples + ["a=b=c", "=x", "x=", "::", "0:12", "é=日本"] {
            XCTAssertEqual(Utf8Text.count(s), s.utf8.count, s)
            XCTAssertEqual(Utf8Text.bytes(s), Array(s.utf8), s)
            for sep: UInt8 in [0x3D, 0x2F, 0x3A] {  // = / :
                let pieces = s.split(separator: Character(Unicode.Scalar(sep)), omittingEmptySubsequences: false)
                XCTAssertEqual(Utf8Text.components(s, separator: sep), pieces.map(String.init), "components(\(s))")
                let first = Utf8Text.split(s, at: sep), last = Utf8Text.split(s, at: sep, last: true)
                if pieces.count == 1 {
                    XCTAssertNil(first, s)
                    XCTAssertNil(last, s)
                } else {
                    XCTAssertEqual(first?.0, String(pieces[0]), s)
                    XCTAssertEqual(first?.1, pieces.dropFirst().joined(separator: String(Unicode.Scalar(sep))), s)
                    XCTAssertEqual(last?.0, pieces.dropLast().joined(separator: String(Unicode.Scalar(sep))), s)
                    XCTAssertEqual(last?.1, String(pieces.last!), s)
                }
            }
        }
    }

    /// One '_' per Unicode scalar that is not [A-Za-z0-9._-], whatever its UTF-8 length.
    func testSafeFileNameReplacesEachScalar() {
        for s in samples + ["conv/1:0", "a b", "x\u{1F600}y", "Ω.weight"] {
            let expected = String(String.UnicodeScalarView(s.unicodeScalars.map { c -> Unicode.Scalar in
                let v = c.value
                let keep = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
                    || v == 0x2E || v == 0x2D || v == 0x5F
                return keep ? c : "_"
            }))
            XCTAssertEqual(Utf8Text.safeFileName(s), expected, s)
        }
    }

    func testParseCountAndDecimals() {
        XCTAssertEqual(Utf8Text.parseCount("0", limit: 5), 0)
        XCTAssertEqual(Utf8Text.parseCount("64", limit: 64), 64)
        XCTAssertNil(Utf8Text.parseCount("65", limit: 64))
        XCTAssertNil(Utf8Text.parseCount("", limit: 64))
        XCTAssertNil(Utf8Text.parseCount("1x", limit: 64))
        XCTAssertNil(Utf8Text.parseCount("-1", limit: 64))
        XCTAssertNil(Utf8Text.parseCount("99999999999999999999999", limit: Int.max))
        for v in [0, 7, 10, 99, 100, 12345, -1, -40, Int.max, Int.min] {
            var bytes: [UInt8] = []
            Utf8Text.appendDecimal(v, to: &bytes)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(v))
        }
    }

    /// Invalid UTF-8 is refused (nil), not repaired with U+FFFD.
    func testStringOfBytesRefusesInvalidUTF8() {
        for bad: [UInt8] in [[0xFF], [0x61, 0xC3], [0xE6, 0x97], [0xC0, 0x80], [0xED, 0xA0, 0x80]] {
            XCTAssertNil(bad.withUnsafeBufferPointer { Utf8Text.string($0) }, "\(bad)")
        }
        for s in samples {
            XCTAssertEqual(Array(s.utf8).withUnsafeBufferPointer { Utf8Text.string($0) }, s)
        }
    }
}
