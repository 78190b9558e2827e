import EdgeFormat
import EdgeTransfer
import EdgeTestSupport
import Foundation
import XCTest

/// `edgec split` and `edgec run --split` as a user meets them: files, JSON, exit codes.
final class SplitCommandLineTests: XCTestCase {
    func edgec(_ args: [String]) throws -> (Int32, String, String) {
        let r = try CommandRunner.edgec(args)
        return (r.status, r.stdout, r.stderr)
    }

    func testSplitThenRunSplitMatchesTheUnsplitModel() throws {
        _ = try CommandRunner.requireProduct("edgec")
        let model = try SplitFixtures.digits
        let dir = SplitFixtures.temp.appendingPathComponent("cli-split").path
        let (status, stdout, stderr) = try edgec(["split", model, "--at", "/conv3/Conv", "--tl", "pca:32", "--transfer", "f32",
                                                  "--calibration", SplitFixtures.digitsSamples, "-o", dir, "--json"])
        XCTAssertEqual(status, 0, stderr)
        let json = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as! [String: Any]
        XCTAssertEqual((json["cut"] as! [String: Any])["layer"] as? Int, 2)
        XCTAssertEqual(json["k"] as? Int, 32)
        XCTAssertGreaterThan(json["transfer_bytes"] as! Double, 0)
        for f in ["head.edgm", "tail.edgm", "split.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f)
        }
        let sample = SplitFixtures.digitsSamples + "/sample_2.npy"
        let (s1, _, e1) = try edgec(["run", "--split", dir, "--input", "image=" + sample, "--output-dir", dir + "/out", "--json"])
        XCTAssertEqual(s1, 0, e1)
        let (s2, _, e2) = try edgec(["run", model, "--input", "image=" + sample, "--output-dir", dir + "/ref"])
        XCTAssertEqual(s2, 0, e2)
        let got = try NpyArray.read(dir + "/out/logits.npy").data, ref = try NpyArray.read(dir + "/ref/logits.npy").data
        XCTAssertEqual(got.count, ref.count)
        for i in 0..<got.count { XCTAssertEqual(got[i], ref[i], accuracy: 1e-4 * (1 + abs(ref[i]))) }

        // A cut inside a residual block: exit 2 and the reason on stderr.
        let (s3, _, e3) = try edgec(["split", try SplitFixtures.resnet18, "--at", "2", "-o", dir + "/bad"])
        XCTAssertEqual(s3, 2)
        XCTAssertTrue(e3.contains("not a clean cut"), e3)
        let (s4, _, e4) = try edgec(["run", "--split", dir + "/missing", "--input", sample])
        XCTAssertEqual(s4, 3, e4)
    }
}
