import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// Device builds with operator selection and without messages (Firmware/Makefile's OPS=,
/// OPS_FROM= and STRIP_MESSAGES=1), under qemu-aarch64:
/// - `Firmware/build/select-resnet18/aarch64/edge-run`, ResNet-18's ops only and no
///   Winograd or depthwise conv kernel (`CONV_KERNELS=`), built by `make firmware`
///   (required under EDGE_REQUIRE_DEVICE=1);
/// - `Firmware/build/sizes/resnet18-stripped/aarch64/edge-run`, the same selection without
///   messages, built by `make -C Firmware sizes` (skipped when absent).
final class OperatorSelectionTests: XCTestCase {
    static let selected = Device.root.appendingPathComponent("Firmware/build/select-resnet18/aarch64/edge-run")
    static let stripped = Device.root.appendingPathComponent("Firmware/build/sizes/resnet18-stripped/aarch64/edge-run")

    var qemu: URL!
    var temp: URL!

    override func setUpWithError() throws {
        guard Device.arch == "aarch64" else { throw XCTSkip("operator selection builds are aarch64 only") }
        qemu = try Device.available()
        temp = try TestPaths.temporaryDirectory("select")
    }

    override func tearDownWithError() throws {
        if let t = temp { try? FileManager.default.removeItem(at: t) }
    }

    func binary(_ url: URL, required: Bool) throws -> URL {
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            let message = "\(url.path) not built (make firmware / make -C Firmware sizes)"
            if required && Device.required { throw TestFailure(message: message) }
            throw XCTSkip(message)
        }
        return url
    }

    /// The op codes a build was compiled with (the Makefile records its -D flags).
    func ops(of binary: URL) throws -> Set<String> {
        try defines(of: binary, prefix: "EDGE_OP_")
    }

    /// The names after `prefix` in a build's -D flags, without the `...SELECTION` switch.
    func defines(of binary: URL, prefix: String) throws -> Set<String> {
        let options = binary.deletingLastPathComponent().appendingPathComponent("obj-one/options")
        let text = try String(contentsOf: options, encoding: .utf8)
        return Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .filter { $0.hasPrefix(prefix) && !$0.hasSuffix("SELECTION") }
            .map { String($0.dropFirst(prefix.count)) })
    }

    func resnet() throws -> (FixtureCase, FixtureCase.Run, URL) {
        let fixture = try FixtureCase.named("resnet18")
        let run = try XCTUnwrap(fixture.runs.first { $0.shapes["input"] == [1, 3, 32, 32] })
        let model = temp.appendingPathComponent("resnet18.edgm")
        try fixture.compile(run, to: model)
        return (fixture, run, model)
    }

    /// A fixture model using an op the selection leaves out, and that op's name.
    func modelOutside(_ selection: Set<String>) throws -> (URL, [String]) {
        for fixture in try FixtureCase.all(in: "models") {
            guard let run = fixture.runs.first else { continue }
            let model = temp.appendingPathComponent(fixture.name + ".edgm")
            try fixture.compile(run, to: model)
            let missing = try Interpreter(path: model.path).model.opCodes.map(\.name).filter { !selection.contains($0) }
            if !missing.isEmpty { return (model, fixture.inputArguments(run)) }
        }
        throw TestFailure(message: "every model fixture fits the selection \(selection.sorted())")
    }

    func runsLikeTheHost(_ binary: URL) throws {
        let (fixture, run, model) = try resnet()
        let selection = try ops(of: binary)
        XCTAssertEqual(Set(try Interpreter(path: model.path).model.opCodes.map(\.name)), selection,
                       "the build's selection is ResNet-18's op set")
        try matchesTheHost(binary, fixture, run, model)
    }

    /// Runs `model` on the device build and compares every output with the host's.
    func matchesTheHost(_ binary: URL, _ fixture: FixtureCase, _ run: FixtureCase.Run, _ model: URL) throws {
        var inputs: [String: String] = [:]
        for (n, f) in run.inputs { inputs[n] = fixture.path(f) }
        let host = try hostOutputs(model: model, inputs: inputs)
        let out = temp.appendingPathComponent("out-" + fixture.name)
        let r = try Device.run(qemu, [model.path] + fixture.inputArguments(run) + ["--output-dir", out.path], binary: binary)
        XCTAssertFalse(r.crashed, r.stderr)
        XCTAssertEqual(r.status, 0, "\(fixture.name): \(r.stderr)")
        for (name, reference) in host {
            let got = try NpyArray.read(out.appendingPathComponent(Device.safeFileName(name) + ".npy").path)
            XCTAssertEqual(got.shape, reference.shape)
            let worst = try XCTUnwrap(worstRelativeError(got.data, reference.data))
            XCTAssertLessThanOrEqual(worst, DeviceTests.tolerance, "\(fixture.name) \(name): device build vs host")
        }
    }

    func testSelectedBuildMatchesTheHost() throws {
        try runsLikeTheHost(try binary(Self.selected, required: true))
    }

    /// Kernel selection falls back instead of refusing: ResNet-18 at 224x224 (Winograd on
    /// the host) and MobileNetV2 (depthwise) run on a build with neither kernel, through
    /// im2col and 1x1 GEMMs, and still match the host.
    func testBuildWithoutWinogradOrDepthwiseRunsThoseConvsOnTheGeneralPath() throws {
        let b = try binary(Self.selected, required: true)
        let options = try String(contentsOf: b.deletingLastPathComponent().appendingPathComponent("obj-one/options"),
                                 encoding: .utf8)
        XCTAssertTrue(options.contains("EDGE_CONV_SELECTION"), options)
        XCTAssertEqual(try defines(of: b, prefix: "EDGE_CONV_"), [], "no conv kernel family linked")
        // nil: the model's own input shape (its fixture's default run).
        let cases: [(String, [Int]?, String)] = [("resnet18", [1, 3, 224, 224], "winograd"),
                                                ("mobilenetv2", nil, "depthwise")]
        for (name, shape, kernel) in cases {
            let fixture = try FixtureCase.named(name)
            let run = try XCTUnwrap(fixture.runs.first { shape == nil ? $0.shapes.isEmpty : $0.shapes["input"] == shape }, name)
            let model = temp.appendingPathComponent(name + ".edgm")
            try fixture.compile(run, to: model)
            var used: [String] = []
            for case .conv(let l) in try Interpreter(path: model.path).layers { used += l.selectableKernel.map { [$0] } ?? [] }
            XCTAssertTrue(used.contains(kernel), "\(name): the host runs some convs on \(kernel)")
            try matchesTheHost(b, fixture, run, model)
        }
    }

    func testSelectedBuildRefusesAModelWithAnOpItLeavesOut() throws {
        let b = try binary(Self.selected, required: true)
        let selection = try ops(of: b)
        let (model, inputs) = try modelOutside(selection)
        let r = try Device.run(qemu, [model.path] + inputs + ["--output-dir", temp.appendingPathComponent("o").path], binary: b)
        XCTAssertFalse(r.crashed, r.stderr)
        XCTAssertEqual(r.status, 5, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("edge-run: error: the model uses op '"), r.stderr)
        XCTAssertTrue(r.stderr.contains("which this build leaves out"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    func testStrippedBuildKeepsExitCodesAndPrintsTheNumericCode() throws {
        let b = try binary(Self.stripped, required: false)
        try runsLikeTheHost(b)
        let (fixture, run, model) = try resnet()
        var bad = try Data(contentsOf: model)
        bad[0] = 0
        try bad.write(to: temp.appendingPathComponent("bad.edgm"))
        let cases: [([String], EdgeError.Kind)] = [
            ([temp.appendingPathComponent("bad.edgm").path] + fixture.inputArguments(run), .format),
            ([temp.appendingPathComponent("nope.edgm").path], .io),
            ([model.path] + fixture.inputArguments(run) + ["--slice", "0:9223372036854775807"], .invalidArgument),
            ([model.path], .invalidArgument),
        ]
        for (args, kind) in cases {
            let r = try Device.run(qemu, args + ["--output-dir", temp.appendingPathComponent("o").path], binary: b)
            XCTAssertFalse(r.crashed, r.stderr)
            XCTAssertEqual(r.status, kind.exitCode, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr, "edge-run: error: code \(kind.rawValue), exit \(kind.exitCode) (messages compiled out)\n")
        }
        let (outside, inputs) = try modelOutside(try ops(of: b))
        let r = try Device.run(qemu, [outside.path] + inputs + ["--output-dir", temp.appendingPathComponent("o").path], binary: b)
        XCTAssertEqual(r.status, 5, r.stderr)
    }
}
