import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// The Embedded Swift device program (Firmware/) against the host interpreter, under
/// qemu-aarch64: same .edgm files, outputs within 1e-5 relative, slices, bad files.
/// qemu is far slower than the host at BLAS, so models run at their small fixture shapes.
final class DeviceTests: XCTestCase {
    /// Device vs host: |d| <= tolerance * (1 + |host|).
    static let tolerance: Float = 1e-5

    var qemu: URL!
    var temp: URL!

    override func setUpWithError() throws {
        qemu = try Device.available()
        temp = try TestPaths.temporaryDirectory("device")
    }

    override func tearDownWithError() throws {
        if let t = temp { try? FileManager.default.removeItem(at: t) }
    }

    func device(_ args: [String]) throws -> CommandOutcome {
        try Device.run(qemu, args)
    }

    func url(_ name: String) -> URL { temp.appendingPathComponent(name) }

    /// The device's GEMM kernels (NEON and the portable one) against a plain product on
    /// random shapes, and the 2-thread split against one thread, under qemu.
    func testPackedGemmKernelsOnTheDevice() throws {
        guard FileManager.default.fileExists(atPath: Device.gemmCheck.path) else {
            if ProcessInfo.processInfo.environment["EDGE_REQUIRE_DEVICE"] == "1" {
                return XCTFail("\(Device.gemmCheck.path) missing: make -C Firmware")
            }
            throw XCTSkip("\(Device.gemmCheck.path) not built (make -C Firmware)")
        }
        let r = try Device.run(qemu, [], binary: Device.gemmCheck)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("gemm-check: ok"), r.stdout)
    }

    /// A device run that must succeed; returns its stdout.
    @discardableResult
    func deviceSucceeds(_ args: [String], _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try device(args)
        XCTAssertFalse(r.crashed, "\(what): edge-run crashed (status \(r.status)); stderr: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 0, "\(what): stderr: \(r.stderr)", file: file, line: line)
        return r.stdout
    }

    func compare(_ got: NpyArray, _ want: NpyArray, tolerance: Float, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.shape, want.shape, "\(what): shape", file: file, line: line)
        guard let worst = worstRelativeError(got.data, want.data) else {
            XCTFail("\(what): \(got.data.count) values, expected \(want.data.count)", file: file, line: line)
            return
        }
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): relative error \(worst)", file: file, line: line)
    }

    /// resnet18 at 32x32: the model the slice and bad-file tests use.
    func compileResNet(_ name: String = "resnet18.edgm") throws -> (FixtureCase, FixtureCase.Run, URL) {
        let fixture = try FixtureCase.named("resnet18")
        let run = try XCTUnwrap(fixture.runs.first { $0.shapes["input"] == [1, 3, 32, 32] })
        let model = url(name)
        try fixture.compile(run, to: model)
        return (fixture, run, model)
    }

    // MARK: - Every model fixture, device vs host

    func testEveryFixtureCaseMatchesTheHost() throws {
        try runEveryCase(in: "models")
    }

    /// Every operator fixture too: the ARM kernels (4-lane Binary, Softmax, Winograd calls,
    /// NEON depthwise) are reached by no model fixture for many ops.
    func testEveryOperatorFixtureMatchesTheHost() throws {
        try runEveryCase(in: "ops")
    }

    /// Compiles each case of a fixture group on the host, runs it with the device binary and
    /// compares with the host's outputs and onnxruntime's. Cases the compiler must refuse
    /// (`expect_error`) have nothing to run.
    func runEveryCase(in group: String) throws {
        let fixtures = try FixtureCase.all(in: group).filter { $0.expectError == nil }
        XCTAssertFalse(fixtures.isEmpty, "no \(group) fixtures found in \(Device.fixtures.path)")
        for fixture in fixtures {
            for run in fixture.runs {
                let what = "\(fixture.name)/\(run.name)"
                let model = url("\(fixture.name)-\(run.name).edgm")
                try fixture.compile(run, to: model)
                var inputs: [String: String] = [:]
                for (n, f) in run.inputs { inputs[n] = fixture.path(f) }
                let host = try hostOutputs(model: model, inputs: inputs)
                let outDir = url("\(fixture.name)-\(run.name)-out")
                let stdout = try deviceSucceeds([model.path] + fixture.inputArguments(run) + ["--output-dir", outDir.path], what)
                XCTAssertTrue(stdout.contains("arena "), "\(what): no arena size in '\(stdout)'")
                XCTAssertEqual(host.count, run.outputs.count, "\(what): output count")
                for (name, reference) in host {
                    let file = outDir.appendingPathComponent(Device.safeFileName(name) + ".npy")
                    guard FileManager.default.fileExists(atPath: file.path) else {
                        XCTFail("\(what): device wrote no \(file.lastPathComponent); stdout: \(stdout)")
                        continue
                    }
                    let got = try NpyArray.read(file.path)
                    compare(got, reference, tolerance: Self.tolerance, "\(what) '\(name)' device vs host")
                    // And against onnxruntime at the fixture's own tolerance.
                    if let expected = run.outputs[name] {
                        compare(got, try NpyArray.read(fixture.path(expected)), tolerance: fixture.tolerance,
                                "\(what) '\(name)' device vs onnxruntime")
                    }
                }
            }
        }
    }

    /// Compressed weights take the inflate path instead of the zero-copy mapping.
    func testCompressedWeightsRunToo() throws {
        let fixture = try FixtureCase.named("resnet18")
        let run = try XCTUnwrap(fixture.runs.first { $0.shapes["input"] == [1, 3, 32, 32] })
        let model = url("resnet18-z.edgm")
        try fixture.compile(run, to: model, compressWeights: true)
        let host = try hostOutputs(model: model, inputs: ["input": fixture.path(run.inputs["input"]!)])
        try deviceSucceeds([model.path] + fixture.inputArguments(run) + ["--output-dir", url("z").path], "compressed")
        compare(try NpyArray.read(url("z/output.npy").path), try XCTUnwrap(host["output"]), tolerance: Self.tolerance, "compressed")
    }

    func testRepeatReportsMinMedianAndArena() throws {
        let (fixture, run, model) = try compileResNet()
        let arena = try Interpreter(path: model.path).arena.byteCount
        let stdout = try deviceSucceeds([model.path] + fixture.inputArguments(run) + ["--output-dir", url("rep").path, "--repeat", "3"], "repeat")
        let lines = stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("run ") && $0.hasSuffix(" ms") }.count, 3, stdout)
        let summary = try XCTUnwrap(lines.last.map(String.init))
        XCTAssertTrue(summary.contains("3 times: min ") && summary.contains(" ms, median "), summary)
        XCTAssertTrue(summary.contains("arena \(arena) bytes"), "'\(summary)' lacks arena \(arena) bytes")
        XCTAssertTrue(FileManager.default.fileExists(atPath: url("rep/output.npy").path))
    }

    // MARK: - Slices

    /// Splits at several clean cuts k (0..k on one "device", k+1..end on the next, the
    /// first's output .npy fed to the second): the chain reproduces the whole model.
    func testSliceChainsReproduceTheWholeModel() throws {
        for name in ["resnet18", "mobilenetv2"] {
            let fixture = try FixtureCase.named(name)
            let run = try XCTUnwrap(fixture.runs.first { !$0.shapes.values.contains { $0.contains(224) } })
            let model = url("\(name).edgm")
            try fixture.compile(run, to: model)
            let m = try Interpreter(path: model.path).model
            let n = m.ops.count
            let wholeDir = url("\(name)-whole")
            try deviceSucceeds([model.path] + fixture.inputArguments(run) + ["--output-dir", wholeDir.path], "\(name) whole")
            let outputName = m.tensors[Int(m.graph.outputs[0])].name
            let whole = try NpyArray.read(wholeDir.appendingPathComponent(Device.safeFileName(outputName) + ".npy").path)

            // Clean cuts: exactly one tensor leaves 0..k and enters k+1..end.
            var cuts: [Int] = []
            for k in 0..<(n - 1) {
                if (try? SlicePlan(model: m, range: 0..<(k + 1), strict: true)) != nil,
                   (try? SlicePlan(model: m, range: (k + 1)..<n, strict: true)) != nil {
                    cuts.append(k)
                }
            }
            XCTAssertGreaterThanOrEqual(cuts.count, 3, "\(name): clean cuts \(cuts)")
            // First, last and some in between (inside the network), at most 5.
            var chosen: [Int] = []
            for i in 0..<min(5, cuts.count) {
                let k = cuts[cuts.count == 1 ? 0 : i * (cuts.count - 1) / max(1, min(5, cuts.count) - 1)]
                if !chosen.contains(k) { chosen.append(k) }
            }
            XCTAssertTrue(chosen.contains { $0 > 0 && $0 < n - 2 }, "\(name): no cut inside the network in \(chosen)")
            for k in chosen {
                let what = "\(name) cut after layer \(k)"
                let first = try SlicePlan(model: m, range: 0..<(k + 1), strict: true)
                let mid = m.tensors[first.outputs[0]]
                let d1 = url("\(name)-s\(k)-a"), d2 = url("\(name)-s\(k)-b")
                try deviceSucceeds([model.path] + fixture.inputArguments(run) + ["--slice", "0:\(k)", "--output-dir", d1.path], what)
                let midFile = d1.appendingPathComponent(Device.safeFileName(mid.name) + ".npy")
                let midArray = try NpyArray.read(midFile.path)
                XCTAssertEqual(midArray.shape, mid.shape, what)
                // The slice's output matches the host interpreter's for the same range.
                let hostMid = try hostOutputs(model: model, inputs: run.inputs.mapValues { fixture.path($0) },
                                              range: 0..<(k + 1), outputs: first.outputs)
                compare(midArray, try XCTUnwrap(hostMid[mid.name]), tolerance: Self.tolerance, "\(what): first slice vs host")
                try deviceSucceeds([model.path, "--input", mid.name + "=" + midFile.path, "--slice", "\(k + 1):\(n - 1)",
                                    "--output-dir", d2.path], what)
                let chained = try NpyArray.read(d2.appendingPathComponent(Device.safeFileName(outputName) + ".npy").path)
                compare(chained, whole, tolerance: Self.tolerance, "\(what): chain vs whole")
            }
        }
    }

    /// A cut inside a residual block (branch and shortcut both cross) is refused with
    /// exit code 2 and one line naming the problem; so are slices outside the model.
    func testUncleanAndOutOfRangeSlicesAreRefused() throws {
        let (fixture, run, model) = try compileResNet()
        let m = try Interpreter(path: model.path).model
        var inside: Int?
        for k in 0..<(m.ops.count - 1) {
            do throws(EdgeError) {
                _ = try SlicePlan(model: m, range: 0..<(k + 1), strict: true)
            } catch {
                if error.message.contains("2 tensors leave") { inside = k; break }
            }
        }
        let k = try XCTUnwrap(inside, "resnet18 has no cut that two tensors cross")
        let cases: [([String], String)] = [
            (["--slice", "0:\(k)"], "not a clean cut"),
            (["--slice", "5:\(m.ops.count + 10)"], "outside the model"),
            (["--slice", "9:2"], "--slice expects FROM:TO"),
            (["--slice", "x:y"], "--slice expects FROM:TO"),
            (["--slice", "0:9223372036854775807"], "--slice expects FROM:TO"),
            (["--slice", "9223372036854775807:"], "--slice expects FROM:TO"),
            (["--slice", "0:99999999999999999999"], "--slice expects FROM:TO"),
            (["--slice", "-1:3"], "--slice expects FROM:TO"),
            (["--slice=2:-1"], "--slice expects FROM:TO"),
        ]
        for (extra, text) in cases {
            let r = try device([model.path] + fixture.inputArguments(run) + ["--output-dir", url("o").path] + extra)
            XCTAssertFalse(r.crashed, "\(extra): crashed, status \(r.status)")
            XCTAssertEqual(r.status, 2, "\(extra): stderr \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(text), "\(extra): '\(r.stderr)' lacks '\(text)'")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(extra): one line on stderr: \(r.stderr)")
        }
    }

    // MARK: - Bad files and inputs

    func testBadFilesAndInputsAreRejectedWithoutATrap() throws {
        let (fixture, run, model) = try compileResNet()
        let good = try Data(contentsOf: model)
        let input = fixture.path(run.inputs["input"]!)

        // A byte in the middle of the weights, located through the section table.
        let weights = try good.withUnsafeBytes { raw in
            try XCTUnwrap(try EdgmFile(image: raw).sections.first { $0.tag == SectionTag.weights.rawValue })
        }
        var flipped = good
        flipped[weights.offset + weights.storedSize / 2] ^= 0x40
        var badMagic = good
        badMagic[0] = 0
        var random = Data(count: 4096)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for i in 0..<random.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            random[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        let files: [(String, Data, Int32, String)] = [
            ("empty.edgm", Data(), 4, "shorter than"),
            ("random.edgm", random, 4, "bad magic"),
            ("trunc64.edgm", good.prefix(good.count - 64), 4, "truncated or padded"),
            ("trunchalf.edgm", good.prefix(good.count / 2), 4, "truncated or padded"),
            ("header.edgm", good.prefix(40), 4, "shorter than"),
            ("magic.edgm", badMagic, 4, "bad magic"),
            ("crc.edgm", flipped, 4, "CRC mismatch"),
        ]
        for (name, data, status, text) in files {
            try data.write(to: url(name))
            let r = try device([url(name).path, "--input", "input=" + input, "--output-dir", url("o").path])
            expectFailure(r, status: status, containing: text, name)
        }

        try NpyArray(shape: [1, 3, 8, 8], data: [Float](repeating: 0.5, count: 192)).write(url("small.npy").path)
        try Data("garbage".utf8).write(to: url("junk.npy"))
        let bad: [([String], Int32, String)] = [
            (["--input", "input=" + url("small.npy").path], 6, "expects shape [1x3x32x32]"),
            (["--input", "input=" + url("missing.npy").path], 3, "missing.npy"),
            (["--input", "input=" + url("junk.npy").path], 4, "not a .npy"),
            (["--input", "other=" + input], 2, "the inputs are"),
            ([], 2, "missing --input for 'input'"),
            (["--input", "input=" + input, "--repeat", "0"], 2, "--repeat"),
            (["--input", "input=" + input, "--repeat", "-1"], 2, "--repeat"),
            (["--input", "input=" + input, "--repeat=1000001"], 2, "--repeat"),
            (["--input", "input=" + input, "--repeat", "9223372036854775807"], 2, "--repeat"),
            (["--input", "input=" + input, "--repeat", "99999999999999999999"], 2, "--repeat"),
            (["--input", "input=" + input, "--bogus"], 2, "unknown option"),
        ]
        for (args, status, text) in bad {
            let r = try device([model.path, "--output-dir", url("o").path] + args)
            expectFailure(r, status: status, containing: text, args.joined(separator: " "))
        }
        expectFailure(try device([url("nope.edgm").path, "--input", "input=" + input]), status: 3, containing: "nope.edgm", "missing model")
        expectFailure(try device([]), status: 2, containing: "missing MODEL", "no arguments")
    }

    /// edge-run's numeric options (--slice, --repeat, --threads) with values that break
    /// integer arithmetic: a clean exit 2 or a normal run, never a trap.
    func testEveryNumericOptionOfEdgeRunFailsCleanly() throws {
        let (fixture, run, model) = try compileResNet()
        let inputs = fixture.inputArguments(run)
        let out = url("sweep-out").path
        typealias Row = IntegerOptionSweep.Row
        let rows: [Row] = [
            Row([model.path] + inputs + ["--slice", "0:{V}", "--output-dir", out]),
            Row([model.path] + inputs + ["--slice", "{V}:3", "--output-dir", out]),
            Row([model.path] + inputs + ["--slice={V}:{V}", "--output-dir", out]),
            Row([model.path] + inputs + ["--repeat={V}", "--output-dir", out]),
            Row([model.path] + inputs + ["--threads={V}", "--output-dir", out]),
        ]
        let runs = try IntegerOptionSweep.check(rows, what: "edge-run") { args in try self.device(args) }
        XCTAssertEqual(runs, rows.count * IntegerOptionSweep.integerValues.count)
    }

    func expectFailure(_ r: CommandOutcome, status: Int32, containing text: String, _ what: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.crashed, "\(what): edge-run crashed (status \(r.status), exited \(r.exited))", file: file, line: line)
        XCTAssertEqual(r.status, status, "\(what): stderr: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), "\(what): '\(r.stderr)' lacks '\(text)'", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("edge-run: error: "), "\(what): '\(r.stderr)'", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(what): one line on stderr", file: file, line: line)
    }
}
