import EdgeTestSupport
import XCTest

/// Seeded mutations of real compiled models, loaded with checksums off so the bytes reach
/// every parser and every layer's validation; whatever loads is also run. Nothing may
/// crash. The loop runs in edge-fuzz child processes (Tests/EdgeFuzzRunner, campaign
/// "edgm"): a trap is one failure naming the input saved under out/fuzz-crashes.
/// (Tools/fuzz_edgm.sh runs the same entry point under libFuzzer + ASan.)
final class EdgmLoaderFuzzTests: XCTestCase {
    func fuzz(_ model: String, shapes: [String: [Int]] = [:], seed: UInt64) throws -> FuzzCampaign.Report {
        let source = FuzzCampaign.Source(path: FixtureCase.root.appendingPathComponent("models/\(model)/model.onnx").path, shapes: shapes)
        let report = try FuzzCampaign("edgm", sources: [source], seed: seed, iterations: 1500).run()
        report.assertNoCrashes("mutated \(model)")
        return report
    }

    func testMutatedResNetNeverCrashes() throws {
        let r = try fuzz("resnet18", shapes: ["input": [1, 3, 32, 32]], seed: 1)
        XCTAssertGreaterThan(r["ran"], 0, "some mutations (in weights, names) must still load and run")
    }

    func testMutatedYoloNeverCrashes() throws {
        let c = try FixtureCase.named("yolo_tiny")
        let r = try fuzz("yolo_tiny", shapes: c.runs[0].shapes, seed: 2)
        XCTAssertGreaterThan(r["ran"], 0)
    }

    func testMutatedMobileNetV3NeverCrashes() throws {
        let r = try fuzz("mobilenetv3_small", seed: 3)
        XCTAssertGreaterThan(r["ran"], 0)
    }
}
