import EdgeRuntime
import EdgeTestSupport
import XCTest

/// `Latency.sortAscending` (the device binaries' heapsort) against the stdlib's sort.
final class LatencyTests: XCTestCase {
    func testHeapsortMatchesTheStdlibSort() {
        var rng = SeededRNG(seed: 0x5EED_50A7)
        var sizes = Array(0...17)
        sizes += [31, 64, 100, 257, 1000]
        for n in sizes {
            for spread: UInt64 in [3, 1 << 40] {   // many duplicates, then nearly none
                var v = (0..<n).map { _ in UInt64.random(in: 0..<spread, using: &rng) }
                let expected = v.sorted()
                Latency.sortAscending(&v)
                XCTAssertEqual(v, expected, "n \(n), spread \(spread)")
            }
        }
        var extremes: [UInt64] = [UInt64.max, 0, UInt64.max, 1, 0]
        Latency.sortAscending(&extremes)
        XCTAssertEqual(extremes, [0, 0, 1, UInt64.max, UInt64.max])
    }
}
