import EdgeCompiler
import EdgeFormat
import EdgeTestSupport
import XCTest

/// Whole networks (small widths, real architectures) compared with onnxruntime.
final class ModelFixtureTests: XCTestCase {
    func check(_ name: String) throws {
        let c = try FixtureCase(directory: FixtureCase.root.appendingPathComponent("models").appendingPathComponent(name))
        XCTAssertFalse(c.runs.isEmpty)
        let problems = c.check()
        XCTAssert(problems.isEmpty, problems.joined(separator: "\n"))
    }

    func testResNet18() throws { try check("resnet18") }
    func testVGG11BN() throws { try check("vgg11_bn") }
    func testMobileNetV2() throws { try check("mobilenetv2") }
    func testMobileNetV2Opset10() throws { try check("mobilenetv2_opset10") }
    func testMobileNetV3Small() throws { try check("mobilenetv3_small") }
    func testYoloTiny() throws { try check("yolo_tiny") }

    /// Every model directory has a test above.
    func testAllModelFixturesAreCovered() throws {
        let names = Set(try FixtureCase.all(in: "models").map(\.name))
        XCTAssertEqual(names, ["resnet18", "vgg11_bn", "mobilenetv2", "mobilenetv2_opset10", "mobilenetv3_small", "yolo_tiny"])
    }
}
