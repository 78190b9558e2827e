import EdgeCompiler
import EdgeFormat
import EdgeTestSupport
import XCTest

/// One ONNX model per operator case, compared with onnxruntime's outputs; one test per op
/// family (fixture names start with their op, e.g. `conv_3x3_pad1_bias`), so a family can
/// be run alone: `swift test --filter OperatorFixtureTests/testConvolutions`.
final class OperatorFixtureTests: XCTestCase {
    /// Family -> the fixture name prefixes it covers. A fixture whose prefix is in no family
    /// fails `testEveryCaseBelongsToAFamily`, so a new op's cases cannot go unrun.
    static let families: [String: [String]] = [
        "convolutions": ["conv", "convt"],
        "matrixProducts": ["gemm", "matmul"],
        "pooling": ["avgpool", "maxpool", "gap", "gmp"],
        "binaryElementwise": ["add", "sub", "mul", "div", "pow", "max", "min", "sum"],
        "unaryElementwise": ["abs", "clip", "exp", "hardsigmoid", "hardswish", "leakyrelu", "log", "neg",
                             "reciprocal", "relu", "sigmoid", "sqrt", "tanh"],
        "normalization": ["batchnorm", "lrn"],
        "shapeOps": ["concat", "split", "slice", "flatten", "reshape", "squeeze", "unsqueeze", "transpose", "pad"],
        "resize": ["resize"],
        "reductions": ["softmax", "reducemean"],
        "foldingAndFusion": ["fold", "fused", "names"],
    ]

    static func prefix(_ c: FixtureCase) -> String {
        String(c.name.prefix { $0 != "_" })
    }

    func check(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let prefixes = try XCTUnwrap(Self.families[family], file: file, line: line)
        let cases = try FixtureCase.all(in: "ops").filter { prefixes.contains(Self.prefix($0)) }
        XCTAssertFalse(cases.isEmpty, "no \(family) fixtures: run Tools/make_fixtures.py", file: file, line: line)
        var failures: [String] = []
        for c in cases { failures += c.check() }
        XCTAssert(failures.isEmpty, "\(failures.count) of \(cases.count) \(family) cases fail:\n" + failures.joined(separator: "\n"),
                  file: file, line: line)
    }

    func testEveryCaseBelongsToAFamily() throws {
        let cases = try FixtureCase.all(in: "ops")
        XCTAssertGreaterThan(cases.count, 100, "operator fixtures missing: run Tools/make_fixtures.py")
        let known = Set(Self.families.values.joined())
        let orphans = cases.filter { !known.contains(Self.prefix($0)) }.map(\.name)
        XCTAssert(orphans.isEmpty, "fixtures in no family of OperatorFixtureTests (add their prefix): \(orphans)")
    }

    func testConvolutions() throws { try check("convolutions") }
    func testMatrixProducts() throws { try check("matrixProducts") }
    func testPooling() throws { try check("pooling") }
    func testBinaryElementwise() throws { try check("binaryElementwise") }
    func testUnaryElementwise() throws { try check("unaryElementwise") }
    func testNormalization() throws { try check("normalization") }
    func testShapeOps() throws { try check("shapeOps") }
    func testResize() throws { try check("resize") }
    func testReductions() throws { try check("reductions") }
    func testFoldingAndFusion() throws { try check("foldingAndFusion") }
}
