import EdgeCompiler
import EdgeFormat
import EdgeTestSupport
import Foundation
import XCTest

/// Every numeric option of edgec with values that break integer arithmetic (negative,
/// zero, Int.max, Int.min, beyond 64 bits; 1e300/inf/nan for fractional ones): a clean
/// error or a normal run, never a trap. Network commands talk to 127.0.0.1:1 (nothing
/// listens there: exit 9 once the arguments pass).
final class IntegerOptionTests: XCTestCase {
    func testEveryNumericOptionOfEdgecFailsCleanly() throws {
        let edgec = try CommandRunner.requireProduct("edgec")
        let temp = try TestPaths.temporaryDirectory("int-options")
        defer { try? FileManager.default.removeItem(at: temp) }
        func path(_ name: String) -> String { temp.appendingPathComponent(name).path }
        let resnet = FixtureCase.root.appendingPathComponent("models/resnet18")
        let onnx = resnet.appendingPathComponent("model.onnx").path
        let input = "input=" + resnet.appendingPathComponent("run0_in_0.npy").path
        let expect = "output=" + resnet.appendingPathComponent("run0_out_0.npy").path
        let model = path("r.edgm")
        for setup in [["compile", onnx, "-o", model, "--shape", "input=1x3x32x32"], ["keygen", "--out", path("k")],
                      ["sign", model, "--key", path("k.key"), "-o", path("a")]] {
            let r = try CommandRunner.run(edgec, setup)
            XCTAssertEqual(r.status, 0, "\(setup): \(r.stderr)")
        }
        let key = path("k.key"), artifact = path("a"), agent = "127.0.0.1:1"
        let manifest = path("manifest.json")  // never written: --budget-ms is checked first
        typealias Row = IntegerOptionSweep.Row
        let rows: [Row] = [
            Row(["run", model, "--input", input, "--slice", "0:{V}", "--output-dir", path("o")]),
            Row(["run", model, "--input", input, "--slice", "{V}:3", "--output-dir", path("o")]),
            Row(["run", model, "--input", input, "--slice", "{V}:{V}", "--output-dir", path("o")]),
            Row(["run", model, "--input", input, "--top={V}", "--output-dir", path("o")]),
            Row(["run", model, "--input", input, "--threads={V}", "--output-dir", path("o")]),
            Row(["run", model, "--input", input, "--expect", expect, "--tolerance={V}", "--output-dir", path("o")], floatingPoint: true),
            Row(["compile", onnx, "-o", path("x.edgm"), "--shape", "input=1x3x{V}x32"]),
            Row(["compile", onnx, "-o", path("x.edgm"), "--shape", "input={V}x3x32x32"]),
            Row(["compile", onnx, "-o", path("x.edgm"), "--shape", "input=1x3x32x32", "--round-channels={V}"]),
            Row(["bench", model, "--iterations={V}", "--warmup", "0"]),
            Row(["bench", model, "--iterations", "1", "--warmup={V}"]),
            Row(["bench", model, "--iterations", "1", "--threads={V}", "--output-dir", path("o")]),
            Row(["portfolio", onnx, "--shape", "input=1x3x32x32", "--output", path("p"), "--iterations={V}"]),
            Row(["profile", model, "--system", "s", "--tier", "device", "--iterations={V}", "--output", path("prof.json")]),
            Row(["profile", model, "--system", "s", "--tier", "device", "--iterations", "1", "--memory-mb={V}",
                 "--output", path("prof.json")], floatingPoint: true),
            Row(["prune", onnx, "-o", path("p.onnx"), "--shape", "input=1x3x32x32", "--rounds={V}"]),
            Row(["prune", onnx, "-o", path("p.onnx"), "--shape", "input=1x3x32x32", "--keep={V}"], floatingPoint: true),
            Row(["prune", onnx, "-o", path("p.onnx"), "--shape", "input=1x3x32x32", "--method", "l1", "--seed={V}"]),
            Row(["split", model, "--at={V}", "-o", path("s")]),
            Row(["split", model, "--at", "4", "--tl", "pca:{V}", "-o", path("s")]),
            Row(["split", model, "--at", "4", "--calibration-limit={V}", "-o", path("s")]),
            Row(["split", model, "--at", "4", "--tl", "pca:auto", "--fidelity={V}", "-o", path("s")], floatingPoint: true),
            Row(["sign", model, "--key", key, "--version={V}", "-o", path("a2")]),
            Row(["push", artifact, "--to", agent, "--key", key, "--chunk-bytes={V}"]),
            Row(["push", artifact, "--to", "127.0.0.1:{V}", "--key", key]),
            Row(["loadgen", "--to", agent, "--concurrency={V}", "--duration", "0.1"]),
            Row(["loadgen", "--to", agent, "--duration={V}"], floatingPoint: true),
            Row(["loadgen", "--to", agent, "--swap", "a,b", "--key", key, "--swap-every-ms={V}", "--duration", "0.1"]),
            Row(["policy", manifest, "--budget-ms={V}", "--to", agent, "--key", key], floatingPoint: true),
            Row(["fleet", "rollout", artifact, "--broker", agent, "--group", "g", "--key", key, "--timeout", "1", "--halt-on={V}"]),
            Row(["fleet", "rollout", artifact, "--broker", agent, "--group", "g", "--key", key, "--timeout", "1", "--canary={V}"]),
            Row(["fleet", "rollout", artifact, "--broker", agent, "--group", "g", "--key", key, "--timeout", "1", "--chunk-bytes={V}"]),
            Row(["fleet", "rollout", artifact, "--broker", agent, "--group", "g", "--key", key, "--timeout={V}"], floatingPoint: true),
            Row(["fleet", "rollout", artifact, "--broker", agent, "--group", "g", "--key", key, "--timeout", "1", "--observe={V}"],
                floatingPoint: true),
        ]
        let runs = try IntegerOptionSweep.check(rows, what: "edgec") { args in
            try CommandRunner.run(edgec, args, timeout: 120)
        }
        XCTAssertEqual(runs, rows.reduce(0) { $0 + ($1.floatingPoint ? 10 : 6) })
    }
}
