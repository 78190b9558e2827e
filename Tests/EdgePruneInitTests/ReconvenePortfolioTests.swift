import EdgeCompiler
import EdgeReports
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// The demo portfolio (Tests/Fixtures/reconvene, Tools/train_reconvene_portfolio.py): a
/// trained wide digits CNN and its Reconvene variants, with onnxruntime's logits.
final class ReconvenePortfolioTests: XCTestCase {
    static let fixture = PortfolioFixture("reconvene")
    static var dir: URL { fixture.directory }

    var samples: [String: Any] { get throws { try Self.fixture.samples() } }

    var sources: [String] { get throws { try Self.fixture.sources() } }

    func testEveryVariantPredictsLikeOnnxRuntime() throws {
        let s = try samples
        let tolerance = Float(s["tolerance"] as! Double)
        XCTAssertGreaterThanOrEqual(try sources.count, 5)
        for source in try sources {
            let model = try OnnxReader.read(path: source)
            let tag = try XCTUnwrap(model.metadata["edge.variant"])
            for sample in s["samples"] as! [[String: Any]] {
                let image = try NpyArray.read(Self.dir.appendingPathComponent(sample["file"] as! String).path)
                let logits = try runInEdge(try FileIO.read(source), input: s["input"] as! String, output: s["output"] as! String, image)
                let ref = (sample["variants"] as! [String: Any])[tag] as! [String: Any]
                let want = (ref["logits"] as! [Double]).map { Float($0) }
                for i in 0..<want.count {
                    XCTAssertLessThanOrEqual(abs(logits[i] - want[i]), tolerance * (1 + abs(want[i])), "\(tag) \(sample["file"]!) [\(i)]")
                }
            }
        }
    }

    /// Params as the generator recorded them, accuracy from the metadata, and a real
    /// spread: the smallest variant is at least 8x smaller than the dense model.
    func testManifestSpansTheSizes() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rc-portfolio-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let variants = try Portfolio.build(sources: try sources, outputDirectory: out, options: CompileOptions(),
                                           iterations: 2, progress: { _ in })
        let expected = (try samples["variants"] as! [[String: Any]])
        XCTAssertEqual(variants.count, expected.count)
        for e in expected {
            let v = try XCTUnwrap(variants.first { $0.tag == e["variant"] as! String })
            XCTAssertEqual(v.params, e["compact_params"] as! Int, v.tag)
            XCTAssertEqual(v.accuracy ?? -1, e["accuracy"] as! Double, accuracy: 1e-9, v.tag)
        }
        XCTAssertGreaterThanOrEqual(Double(variants.first!.params) / Double(variants.last!.params), 8)
        XCTAssertGreaterThan(variants.first!.flops, 8 * variants.last!.flops)
    }
}
