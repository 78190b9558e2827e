import EdgeCompiler
import EdgeFormat
import XCTest

/// One ONNX model per operator case, compared with onnxruntime's outputs.
final class OperatorFixtureTests: XCTestCase {
    func testEveryOperatorCaseMatchesOnnxRuntime() throws {
        let cases = try FixtureCase.all(in: "ops")
        XCTAssertGreaterThan(cases.count, 100, "operator fixtures missing: run Tools/make_fixtures.py")
        var failures: [String] = []
        for c in cases { failures += c.check() }
        XCTAssert(failures.isEmpty, "\(failures.count) of \(cases.count) operator cases fail:\n" + failures.joined(separator: "\n"))
    }
}
