import EdgeFormat
import EdgeTestSupport
import Foundation
import XCTest

/// `edgec prune` as a user meets it: files written, the report's counts equal to
/// `edgec inspect`'s, exit codes.
final class PruneCommandTests: XCTestCase {
    var temp: URL!

    override func setUpWithError() throws {
        _ = try CommandRunner.requireProduct("edgec")
        temp = try TestPaths.temporaryDirectory("edgec-prune")
    }

    override func tearDownWithError() throws {
        if let t = temp { try? FileManager.default.removeItem(at: t) }
    }

    func edgec(_ args: [String]) throws -> CommandOutcome { try CommandRunner.edgec(args) }

    func path(_ name: String) -> String { temp.appendingPathComponent(name).path }

    func json(_ file: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
    }

    func testReportCountsEqualInspect() throws {
        for (model, method) in [("portfolio/digits_imp_00.onnx", "reconvene"), ("pruning/resnet_basic/model.onnx", "reconvene"),
                                ("pruning/vgg16_bn_s30/model.onnx", "l1")] {
            let r = try edgec(["prune", Fixtures.path(model), "--method", method, "--keep", "0.3", "--seed", "3",
                               "-o", path("p.onnx"), "--report", path("r.json")])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("smaller"), r.stdout)
            let report = try json(path("r.json"))
            XCTAssertEqual(report["method"] as? String, method)
            XCTAssertNotNil(report["scoring"] as? String)
            for (onnx, key) in [(path("p.onnx"), "params_after"), (Fixtures.path(model), "params_before")] {
                XCTAssertEqual(try edgec(["compile", onnx, "-o", path("m.edgm")]).status, 0)
                let inspect = try edgec(["inspect", path("m.edgm"), "--json"])
                let info = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
                XCTAssertEqual(info["params"] as? Int, report[key] as? Int, "\(model) \(key)")
                XCTAssertEqual(info["flops"] as? Int, report[key.replacingOccurrences(of: "params", with: "flops")] as? Int, "\(model) \(key)")
            }
        }
    }

    func testExitCodes() throws {
        let digits = Fixtures.path("portfolio/digits_imp_00.onnx")
        let bad = try edgec(["prune", digits, "--keep", "1.5", "-o", path("x.onnx")])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--keep must be a fraction in (0, 1]"), bad.stderr)
        XCTAssertEqual(try edgec(["prune", digits, "--method", "magic", "-o", path("x.onnx")]).status, 2)
        let missing = try edgec(["prune", path("missing.onnx"), "-o", path("x.onnx")])
        XCTAssertEqual(missing.status, 3)
        XCTAssertTrue(missing.stderr.contains("missing.onnx"), missing.stderr)
        let unsupported = try edgec(["prune", Fixtures.path("pruning/mixed_ops/model.onnx"), "-o", path("x.onnx")])
        XCTAssertEqual(unsupported.status, 5)
        XCTAssertTrue(unsupported.stderr.contains("ConvTranspose"), unsupported.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.onnx")))
        let help = try edgec(["prune", "--help"])
        XCTAssertTrue(help.stdout.contains("SynFlow") && help.stdout.contains("SNIP"), help.stdout)
    }
}
