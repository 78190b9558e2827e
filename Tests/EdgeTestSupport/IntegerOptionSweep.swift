import Foundation
import XCTest

/// Table-driven sweep of a program's numeric options over the values that break integer
/// arithmetic: negative, zero, Int.max, Int.min, a number too large for 64 bits, and for
/// floating-point options also 1e300, inf and nan (the `--slice 0:9223372036854775807`
/// class of bug). Every value must end in a clean exit, never a trap; a negative count
/// must be refused as a bad argument (exit 2).
public struct IntegerOptionSweep {
    /// One option: the arguments with "{V}" where the value goes.
    public struct Row {
        public var arguments: [String]
        public var floatingPoint: Bool
        /// Negative values are invalid for this option (true for every count and size).
        public var refusesNegative: Bool

        public init(_ arguments: [String], floatingPoint: Bool = false, refusesNegative: Bool = true) {
            self.arguments = arguments
            self.floatingPoint = floatingPoint
            self.refusesNegative = refusesNegative
        }
    }

    public static let integerValues = ["-1", "0", "1", "\(Int.max)", "\(Int.min)", "99999999999999999999"]
    public static let floatingValues = integerValues + ["1e300", "-1e300", "inf", "nan"]

    /// Runs every row with every value through `run` (which starts the program); returns
    /// how many runs there were. Exit codes must stay within `codes`.
    public static func check(_ rows: [Row], codes: ClosedRange<Int32> = 0...13, what: String,
                             file: StaticString = #filePath, line: UInt = #line,
                             run: ([String]) throws -> CommandOutcome) throws -> Int {
        var runs = 0
        for row in rows {
            for value in row.floatingPoint ? floatingValues : integerValues {
                let args = row.arguments.map { $0.replacingOccurrences(of: "{V}", with: value) }
                let r = try run(args)
                runs += 1
                let shown = "\(what) \(args.joined(separator: " "))"
                XCTAssertFalse(r.crashed, "\(shown): crashed (status \(r.status)): \(r.stderr.prefix(300))", file: file, line: line)
                XCTAssertTrue(codes.contains(r.status), "\(shown): exit \(r.status): \(r.stderr.prefix(300))", file: file, line: line)
                if r.status != 0 {
                    XCTAssertFalse(r.stderr.isEmpty, "\(shown): exit \(r.status) without a word on stderr", file: file, line: line)
                }
                if row.refusesNegative && value.hasPrefix("-") {
                    XCTAssertEqual(r.status, 2, "\(shown): a negative value is a bad argument: \(r.stderr.prefix(300))", file: file, line: line)
                }
            }
        }
        return runs
    }
}
