import EdgeCompiler
import EdgeFormat
import EdgeReports
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// The digits portfolio (Tools/train_digits_portfolio.py): a real CNN pruned by iterative
/// magnitude pruning at 8 levels, with onnxruntime's logits for a few test images.
final class PortfolioTests: XCTestCase {
    static let fixture = PortfolioFixture("portfolio")
    static var dir: URL { fixture.directory }

    var samples: [String: Any] { get throws { try Self.fixture.samples() } }

    var sources: [String] { get throws { try Self.fixture.sources() } }

    func testManifestListsEveryVariantLargestFirstWithItsAccuracy() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let variants = try Portfolio.build(sources: try sources, outputDirectory: out, options: CompileOptions(),
                                           iterations: 2, progress: { _ in })
        let expected = (try samples["variants"] as! [[String: Any]])
        XCTAssertEqual(variants.count, expected.count)
        XCTAssertEqual(variants.map(\.params), variants.map(\.params).sorted(by: >))
        for e in expected {
            let tag = e["variant"] as! String
            guard let v = variants.first(where: { $0.tag == tag }) else { return XCTFail("no variant \(tag)") }
            // The generator counts the weights left once dead filters and what reads them go.
            XCTAssertEqual(v.params, e["compact_params"] as! Int, tag)
            XCTAssertEqual(v.accuracy ?? -1, e["accuracy"] as! Double, accuracy: 1e-9, tag)
            XCTAssertEqual(v.sparsity, e["sparsity"] as! Double, accuracy: 1e-3, tag)
            XCTAssertTrue(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(v.file)))
            XCTAssertGreaterThan(v.latencyMs, 0)
        }
        XCTAssertLessThan(variants.last!.fileBytes, variants.first!.fileBytes)
    }

    func testEveryVariantPredictsLikeOnnxRuntime() throws {
        let s = try samples
        let tolerance = Float(s["tolerance"] as! Double)
        for source in try sources {
            let result = try Compiler.compile(onnxPath: source, options: CompileOptions())
            let interpreter = try Interpreter(bytes: result.bytes)
            let tag = try XCTUnwrap(interpreter.model.metaString("onnx.edge.variant"))
            let input = try XCTUnwrap(interpreter.tensorId(named: s["input"] as! String))
            let output = try XCTUnwrap(interpreter.tensorId(named: s["output"] as! String))
            for sample in s["samples"] as! [[String: Any]] {
                let image = try NpyArray.read(Self.dir.appendingPathComponent(sample["file"] as! String).path)
                try image.data.withUnsafeBufferPointer { (p) throws(EdgeError) in try interpreter.write(tensor: input, p) }
                interpreter.run()
                let logits = Array(interpreter.read(tensor: output))
                let ref = ((sample["variants"] as! [String: Any])[tag] as! [String: Any])
                let want = (ref["logits"] as! [Double]).map { Float($0) }
                for i in 0..<want.count {
                    XCTAssertLessThanOrEqual(abs(logits[i] - want[i]), tolerance * (1 + abs(want[i])), "\(tag) \(sample["file"]!) [\(i)]")
                }
                XCTAssertEqual(logits.indices.max { logits[$0] < logits[$1] }, ref["predicted"] as? Int, tag)
            }
        }
    }

    func testVariantsOfDifferentModelsAreRefused() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-bad-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let other = FixtureCase.root.appendingPathComponent("models/mobilenetv2/model.onnx").path
        XCTAssertThrowsError(try Portfolio.build(sources: [try sources[0], other], outputDirectory: out,
                                                 options: CompileOptions(), iterations: 1, progress: { _ in })) { e in
            XCTAssertEqual((e as? EdgeError)?.kind, .shape)
            XCTAssertTrue("\(e)".contains("does not match"))
        }
    }
}
