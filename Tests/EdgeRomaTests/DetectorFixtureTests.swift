import EdgeFormat
import EdgeRoma
import EdgeRomaEval
import EdgeTestSupport
import Foundation
import XCTest

/// The trained detectors (Tests/Fixtures/detectors, Tools/train_roma_detectors.py) compiled
/// by our compiler and run by our runtime, against onnxruntime; and the tiny scenario
/// (Tests/Fixtures/roma/tiny, Tools/make_roma_fixtures.py) decoded and scored by the Swift
/// code, against the Python decoder and AP on onnxruntime's outputs.
final class DetectorFixtureTests: XCTestCase {
    static let fixtures = TestPaths.fixtures
    var manifest: String { Self.fixtures.appendingPathComponent("detectors/manifest.json").path }

    func testFamilyHasFourDetectorsWithProfiles() throws {
        let family = try DetectorFamily(manifest: manifest)
        XCTAssertGreaterThanOrEqual(family.count, 4)
        XCTAssertEqual(family.bins.count, 4)
        for p in family.profiles {
            XCTAssertGreaterThan(p.latencyMedianMs, 0, p.name)
            XCTAssertEqual(p.ap50BySize.count, 4, p.name)
        }
    }

    func testOutputsMatchOnnxRuntime() throws {
        let family = try DetectorFamily(manifest: manifest)
        let sample = try NpyArray.read(Self.fixtures.appendingPathComponent("detectors/sample_frame.npy").path)
        XCTAssertEqual(sample.shape, [1, 1, 128, 128])
        for (d, p) in family.profiles.enumerated() {
            let expected = try NpyArray.read(Self.fixtures.appendingPathComponent("detectors/\(p.name)_maps.npy").path)
            let got = try family.rawMaps(d, input: sample.data)
            XCTAssertEqual(got.count, expected.data.count, p.name)
            var worst: Float = 0
            for i in 0..<min(got.count, expected.data.count) {
                worst = max(worst, abs(got[i] - expected.data[i]) / max(1, abs(expected.data[i])))
            }
            XCTAssertLessThan(worst, 1e-4, "\(p.name): our runtime differs from onnxruntime by \(worst)")
        }
    }

    func testDecodingAndAPMatchThePythonSide() throws {
        let family = try DetectorFamily(manifest: manifest)
        let dir = Self.fixtures.appendingPathComponent("roma/tiny")
        let scenario = try Scenario(directory: dir.path)
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json"))) as! [String: Any]
        let expected = doc["detectors"] as! [String: [String: Any]]
        XCTAssertEqual(expected.count, family.count)
        for (d, p) in family.profiles.enumerated() {
            guard let e = expected[p.name] else { XCTFail("expected.json lacks \(p.name)"); continue }
            var at50 = APAccumulator(threshold: 0.5), at75 = APAccumulator(threshold: 0.75)
            var counts: [Int] = []
            for k in 0..<scenario.frameCount {
                let dets = try family.detections(d, frame: k, in: scenario)
                counts.append(dets.count)
                at50.add(dets, truth: scenario.truth[k])
                at75.add(dets, truth: scenario.truth[k])
            }
            XCTAssertEqual(counts, e["detections_per_frame"] as! [Int], p.name)
            let first = try family.detections(d, frame: 0, in: scenario)
            let want = e["first_frame_detections"] as! [[NSNumber]]
            XCTAssertEqual(first.count, want.count, p.name)
            for (got, w) in zip(first, want) {
                let g = [got.box.x0, got.box.y0, got.box.x1, got.box.y1, got.score]
                for i in 0..<5 { XCTAssertEqual(g[i], w[i].floatValue, accuracy: i < 4 ? 2e-3 : 1e-4, p.name) }
            }
            // Boxes agree to ~1e-4 px, but a match right at the IoU threshold can flip
            // between float32 (here) and float64 (numpy) box arithmetic: one flip moves AP
            // by about 1/101 on this tiny scene.
            XCTAssertEqual(at50.averagePrecision!, (e["ap50"] as! NSNumber).doubleValue, accuracy: 0.02, p.name)
            XCTAssertEqual(at75.averagePrecision!, (e["ap75"] as! NSNumber).doubleValue, accuracy: 0.02, p.name)
        }
    }

    /// Every policy replays the tiny scenario; results are AP values, reproducible, and a
    /// fixed policy never switches.
    func testPoliciesReplayTheTinyScenario() throws {
        let family = try DetectorFamily(manifest: manifest)
        let scenario = try Scenario(directory: Self.fixtures.appendingPathComponent("roma/tiny").path)
        let sim = StreamSimulation(family: family, scenario: scenario, latencyScale: 25, seed: 3)
        var policies: [Policy] = [.roma, .latency, .oracle]
        for d in 0..<family.count { policies.append(.fixed(d)) }
        for policy in policies {
            let a = try sim.run(policy), b = try sim.run(policy)
            XCTAssertEqual(a.sap50, b.sap50, "\(policy) is not reproducible")
            let v = try XCTUnwrap(a.sap50)
            XCTAssertTrue(v >= 0 && v <= 1)
            XCTAssertEqual(a.segments.count, 2)
            if case .fixed = policy { XCTAssertEqual(a.switches, 0) }
            // the first frame can never be served (its output is not ready at its timestamp)
            XCTAssertEqual(a.servedBy[0], -1)
        }
    }

    func testBadInputsGiveClearErrors() throws {
        XCTAssertThrowsError(try DetectorFamily(manifest: "/nonexistent/manifest.json")) { e in
            XCTAssertEqual((e as? EdgeError)?.kind, .io)
        }
        XCTAssertThrowsError(try Scenario(directory: Self.fixtures.appendingPathComponent("detectors").path)) { e in
            XCTAssertEqual((e as? EdgeError)?.kind, .io)
        }
        let family = try DetectorFamily(manifest: manifest)
        XCTAssertThrowsError(try Policy.parse("fixed:nope", family: family)) { e in
            XCTAssertEqual((e as? EdgeError)?.kind, .invalidArgument)
        }
        XCTAssertThrowsError(try Policy.parse("best", family: family))
    }
}
