import EdgeCompiler
import EdgeFormat
import EdgeTestSupport
import Foundation
import XCTest

/// The `edgec` binary as a user meets it: exit codes, one-line errors, files written.
final class CommandLineTests: XCTestCase {
    var temp: URL!

    override func setUpWithError() throws {
        _ = try CommandRunner.requireProduct("edgec")
        temp = try TestPaths.temporaryDirectory("edgec-cli")
    }

    override func tearDownWithError() throws {
        if let t = temp { try? FileManager.default.removeItem(at: t) }
    }

    func edgec(_ args: [String]) throws -> CommandOutcome { try CommandRunner.edgec(args) }

    func path(_ name: String) -> String { temp.appendingPathComponent(name).path }

    var resnet: URL { FixtureCase.root.appendingPathComponent("models/resnet18") }

    func compileResNet() throws -> String {
        let out = path("r.edgm")
        let r = try edgec(["compile", resnet.appendingPathComponent("model.onnx").path, "-o", out, "--shape", "input=1x3x32x32"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    func expectFailure(_ r: CommandOutcome, status: Int32, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, "stderr: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(text.isEmpty || r.stderr.contains(text), "stderr '\(r.stderr)' lacks '\(text)'", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line on stderr", file: file, line: line)
    }

    func testCompileRunAndInspect() throws {
        let model = try compileResNet()
        let run = try edgec(["run", model, "--input", "input=" + resnet.appendingPathComponent("run0_in_0.npy").path, "--output-dir", path("out")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let got = try NpyArray.read(path("out/output.npy"))
        let want = try NpyArray.read(resnet.appendingPathComponent("run0_out_0.npy").path)
        XCTAssertEqual(got.shape, [1, 10])
        for i in 0..<got.data.count { XCTAssertEqual(got.data[i], want.data[i], accuracy: 1e-4 * (1 + abs(want.data[i]))) }

        let inspect = try edgec(["inspect", model, "--json"])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
        for key in ["params", "flops", "arena_bytes", "arena_lower_bound", "file_bytes", "layers"] {
            XCTAssertNotNil(json[key], key)
        }
        XCTAssertGreaterThanOrEqual(json["arena_bytes"] as! Int, json["arena_lower_bound"] as! Int)
        XCTAssertEqual((json["layers"] as! [Any]).count, 31)

        let bench = try edgec(["bench", model, "--iterations", "3", "--warmup", "1", "--json"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let b = try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as! [String: Any]
        XCTAssertGreaterThan(b["median_ms"] as! Double, 0)
    }

    func testOutputNamesAreMadeSafeForFiles() throws {
        // yolo_tiny's outputs carry '/' in their names, as paddle2onnx exports do.
        let dir = FixtureCase.root.appendingPathComponent("models/yolo_tiny")
        let c = try FixtureCase(directory: dir)
        let run = c.runs[0]
        var args = ["compile", dir.appendingPathComponent("model.onnx").path, "-o", path("y.edgm")]
        for (n, s) in run.shapes { args += ["--shape", n + "=" + s.map(String.init).joined(separator: "x")] }
        XCTAssertEqual(try edgec(args).status, 0)
        var runArgs = ["run", path("y.edgm"), "--output-dir", path("yo")]
        for (n, f) in run.inputs { runArgs += ["--input", n + "=" + dir.appendingPathComponent(f).path] }
        let r = try edgec(runArgs)
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: path("yo"))
        XCTAssertEqual(files.count, run.outputs.count)
        for name in run.outputs.keys {
            let safe = String(name.map { ($0.isLetter || $0.isNumber || "._-".contains($0)) && $0.isASCII ? $0 : "_" })
            XCTAssertTrue(files.contains(safe + ".npy"), "\(safe).npy missing in \(files)")
        }
    }

    func testBadOnnxFiles() throws {
        let good = try Data(contentsOf: resnet.appendingPathComponent("model.onnx"))
        let cases: [(String, Data, Int32, String)] = [
            ("empty.onnx", Data(), 4, ""),
            ("random.onnx", Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }), 4, ""),
            ("truncated.onnx", good.prefix(good.count / 2), 4, ""),
            ("text.onnx", Data("not a model at all\n".utf8), 4, ""),
        ]
        for (name, data, status, text) in cases {
            try data.write(to: temp.appendingPathComponent(name))
            let r = try edgec(["compile", path(name), "-o", path(name + ".edgm")])
            expectFailure(r, status: status, containing: text)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(name + ".edgm")), "no output after a failure")
        }
        expectFailure(try edgec(["compile", path("missing.onnx")]), status: 3, containing: "missing.onnx")
        expectFailure(try edgec(["compile", temp.path]), status: 3, containing: "directory")
        // A dynamic input without --shape names the input and the fix.
        expectFailure(try edgec(["compile", resnet.appendingPathComponent("model.onnx").path, "-o", path("x.edgm")]),
                      status: 6, containing: "--shape input=")
        expectFailure(try edgec(["compile", resnet.appendingPathComponent("model.onnx").path, "-o", path("x.edgm"), "--shape", "input=1x3xbad"]),
                      status: 2, containing: "not a shape")
    }

    func testUnsupportedAndMismatchedModelsNameTheNode() throws {
        for c in try FixtureCase.all(in: "unsupported") {
            guard let expected = c.expectError else { continue }
            let r = try edgec(["compile", c.modelPath, "-o", path(c.name + ".edgm")])
            XCTAssertEqual(r.status, expected == "unsupported" ? 5 : 6, "\(c.name): \(r.stderr)")
            if let node = c.expectNode { XCTAssertTrue(r.stderr.contains(node), "\(c.name): '\(r.stderr)' lacks node '\(node)'") }
        }
    }

    func testBadEdgmAndInputs() throws {
        let model = try compileResNet()
        let good = try Data(contentsOf: URL(fileURLWithPath: model))
        let input = resnet.appendingPathComponent("run0_in_0.npy").path
        var flipped = good
        flipped[flipped.count - 100] ^= 0x40
        var badMagic = good
        badMagic[0] = 0
        let files: [(String, Data, String)] = [
            ("empty.edgm", Data(), "shorter than"),
            ("trunc.edgm", good.prefix(good.count - 64), "truncated or padded"),
            ("crc.edgm", flipped, "CRC mismatch"),
            ("magic.edgm", badMagic, "bad magic"),
        ]
        for (name, data, text) in files {
            try data.write(to: temp.appendingPathComponent(name))
            expectFailure(try edgec(["run", path(name), "--input", "input=" + input, "--output-dir", path("o")]), status: 4, containing: text)
            expectFailure(try edgec(["inspect", path(name)]), status: 4, containing: text)
        }
        expectFailure(try edgec(["run", model, "--output-dir", path("o")]), status: 2, containing: "missing --input for 'input'")
        expectFailure(try edgec(["run", model, "--input", "input=" + path("nope.npy")]), status: 3, containing: "nope.npy")
        expectFailure(try edgec(["run", model, "--input", "other=" + input]), status: 2, containing: "the inputs are")
        try NpyArray(shape: [1, 3, 8, 8], data: [Float](repeating: 0, count: 192)).write(path("small.npy"))
        expectFailure(try edgec(["run", model, "--input", "input=" + path("small.npy")]), status: 6, containing: "expects shape [1x3x32x32]")
        try Data("garbage".utf8).write(to: temp.appendingPathComponent("junk.npy"))
        expectFailure(try edgec(["run", model, "--input", "input=" + path("junk.npy")]), status: 4, containing: "not a .npy")
    }

    func testSlicesChainToTheWholeModel() throws {
        let model = try compileResNet()
        let input = "input=" + resnet.appendingPathComponent("run0_in_0.npy").path
        XCTAssertEqual(try edgec(["run", model, "--input", input, "--output-dir", path("whole")]).status, 0)
        let whole = try NpyArray.read(path("whole/output.npy"))
        // Layer 7 ends layer1 (Add+Relu): one tensor crosses. Layer 3 is inside a block.
        let first = try edgec(["run", model, "--input", input, "--slice", "0:7", "--output-dir", path("s1"), "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let written = (try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as! [String: Any])["outputs"] as! [[String: Any]]
        XCTAssertEqual(written.count, 1)
        let mid = written[0]["name"] as! String
        let second = try edgec(["run", model, "--input", mid + "=" + (written[0]["file"] as! String), "--slice", "8:30", "--output-dir", path("s2")])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try NpyArray.read(path("s2/output.npy")), whole)
        expectFailure(try edgec(["run", model, "--input", input, "--slice", "0:3", "--output-dir", path("s3")]),
                      status: 2, containing: "not a clean cut")
        expectFailure(try edgec(["run", model, "--input", input, "--slice", "5:99"]), status: 2, containing: "outside the model")
    }

    func testPruningReportAndInspect() throws {
        let c = try FixtureCase(directory: FixtureCase.root.appendingPathComponent("pruning/vgg16_bn_s70"))
        var args = ["compile", c.modelPath, "-o", path("v.edgm"), "--report", path("report.json")]
        for (n, s) in c.runs[0].shapes { args += ["--shape", n + "=" + s.map(String.init).joined(separator: "x")] }
        let r = try edgec(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: temp.appendingPathComponent("report.json"))) as! [String: Any]
        let inspect = try JSONSerialization.jsonObject(with: Data(try edgec(["inspect", path("v.edgm"), "--json"]).stdout.utf8)) as! [String: Any]
        let stored = try XCTUnwrap(inspect["pruning"] as? [String: Any])
        XCTAssertEqual(stored["params_after"] as? Int, report["params_after"] as? Int)
        XCTAssertEqual(inspect["params"] as? Int, report["params_after"] as? Int)
        XCTAssertLessThan(report["params_after"] as! Int, report["params_before"] as! Int)
        XCTAssertFalse((report["layers"] as! [Any]).isEmpty)
        let table = try edgec(["inspect", path("v.edgm")]).stdout
        XCTAssertTrue(table.contains("->"), "channels before -> after in the table")
        XCTAssertTrue(table.contains("pruning:"))
        // --no-prune keeps every channel; --report then has nothing to report.
        expectFailure(try edgec(args + ["--no-prune"]), status: 2, containing: "--report needs pruning")
    }

    /// Every integer option, at values that overflow, are negative or are huge: a clean
    /// one-line refusal with exit code 2, never a trap (`--slice 0:Int.max` trapped in
    /// `to + 1`, `bench --threads` in Int32(_:)).
    func testIntegerOptionsRefuseOverflowingNegativeAndHugeValues() throws {
        let model = try compileResNet()
        let onnx = resnet.appendingPathComponent("model.onnx").path
        let input = "input=" + resnet.appendingPathComponent("run0_in_0.npy").path
        let run = ["run", model, "--input", input, "--output-dir", path("o")]
        let bench = ["bench", model, "--iterations", "1", "--warmup", "0"]
        let compile = ["compile", onnx, "-o", path("x.edgm"), "--shape", "input=1x3x32x32"]
        let portfolio = ["portfolio", onnx, "-o", path("pf"), "--shape", "input=1x3x32x32"]
        let huge = "9223372036854775807", beyond = "99999999999999999999"
        let cases: [([String], String)] = [
            (run + ["--slice", "0:" + huge], "--slice expects FROM:TO"),
            (run + ["--slice", huge + ":"], "--slice expects FROM:TO"),
            (run + ["--slice", "0:" + beyond], "--slice expects FROM:TO"),
            (run + ["--slice=-1:3"], "--slice expects FROM:TO"),
            (run + ["--slice", "5:99"], "outside the model"),
            (run + ["--top=-1"], "--top expects"),
            (run + ["--top=0"], "--top expects"),
            (run + ["--top", beyond], "--top"),
            (run + ["--tolerance=-1"], "--tolerance expects"),
            (run + ["--tolerance=nan"], "--tolerance expects"),
            (bench + ["--slice", "0:" + huge], "--slice expects FROM:TO"),
            (bench + ["--threads", huge], "--threads expects"),
            (bench + ["--threads=-1"], "--threads expects"),
            (bench + ["--threads=0"], "--threads expects"),
            (bench + ["--iterations", huge], "--iterations expects"),
            (bench + ["--iterations=-5"], "--iterations expects"),
            (bench + ["--iterations", "0"], "--iterations expects"),
            (bench + ["--warmup=-5"], "--warmup expects"),
            (bench + ["--warmup", huge], "--warmup expects"),
            (bench + ["--iterations", beyond], "--iterations"),
            (compile + ["--round-channels=-3"], "--round-channels expects"),
            (compile + ["--round-channels", "0"], "--round-channels expects"),
            (compile + ["--round-channels", beyond], "--round-channels"),
            (["compile", onnx, "-o", path("x.edgm"), "--shape", "input=" + beyond + "x3x32x32"], "not a shape"),
            (["compile", onnx, "-o", path("x.edgm"), "--shape", "input=1x3x-32x32"], "not a shape"),
            (portfolio + ["--iterations=-3"], "--iterations expects"),
            (portfolio + ["--iterations", huge], "--iterations expects"),
        ]
        for (args, text) in cases {
            let r = try edgec(args)
            XCTAssertEqual(r.status, 2, "\(args.suffix(2)): stderr \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(text), "\(args.suffix(2)): '\(r.stderr)' lacks '\(text)'")
            XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("crashed"), "\(args.suffix(2)): \(r.stderr)")
        }
        // Huge but representable values that are legal still work.
        let top = try edgec(run + ["--top", huge])
        XCTAssertEqual(top.status, 0, top.stderr)
        XCTAssertEqual(try edgec(compile + ["--round-channels", huge]).status, 0)
        // Dimensions too large for the shape arithmetic: refused as a bad shape, no trap.
        let big = try edgec(["compile", onnx, "-o", path("x.edgm"), "--shape", "input=1x3x4611686018427387904x4611686018427387904"])
        XCTAssertEqual(big.status, 6, big.stderr)
        XCTAssertTrue(big.stderr.contains("out of range"), big.stderr)
    }
}
