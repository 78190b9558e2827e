import EdgeCompiler
import EdgeFormat
import EdgePlanner
import EdgeRuntime
import Foundation
import XCTest

final class ProfileTests: XCTestCase {
    func testRoundTripAndValidation() throws {
        let p = SystemProfile(system: "pi", tier: "device", memoryBytes: 1 << 30, source: "test", models: [
            ModelProfile(name: "m", inputBytes: 12, inputShape: [1, 3], iterations: 5, runner: "interpreter", blocks: [
                BlockProfile(firstLayer: 0, lastLayer: 2, seconds: 0.1 + 0.2, outputBytes: 140, outputShape: [1, 4], flops: 9, params: 3, weightBytes: 12, arenaBytes: 64,
                             transferLayer: TransferLayerProfile(outputBytes: 40, downsampleSeconds: 1e-4, upsampleSeconds: 2e-4, dataconvertSeconds: 3e-5)),
                BlockProfile(firstLayer: 3, lastLayer: 3, seconds: 1e-7, outputBytes: 136, transfers: [
                    TransferProfile(option: "pca:auto+u8", tl: "pca:3", encoding: "u8", bytes: 30, sendSeconds: 1e-5, receiveSeconds: 2e-5,
                                    fidelity: 0.97, maxRelError: 0.1, meanRelError: 0.02, top1Agreement: 0.97, samples: 32),
                ]),
            ]),
        ])
        let back = try SystemProfile.decode(p.encoded(), name: "t")
        XCTAssertEqual(back, p)
        XCTAssertEqual(back.models[0].blocks[0].seconds, 0.1 + 0.2, "doubles survive bit for bit")

        func rejects(_ json: String, _ text: String, line: UInt = #line) {
            do {
                _ = try SystemProfile.decode(Data(json.utf8), name: "bad.json")
                XCTFail("accepted", line: line)
            } catch {
                XCTAssertEqual(error.kind, .format, line: line)
                XCTAssertTrue(error.message.contains(text), "'\(error.message)' lacks '\(text)'", line: line)
            }
        }
        let block = #"{"first_layer":0,"last_layer":1,"seconds":0.1,"output_bytes":10}"#
        rejects("not json", "invalid JSON")
        rejects(#"{"format":"edge-profile","version":1,"system":"a","tier":"device"}"#, "missing \"models\"")
        rejects(#"{"format":"edge-profile","version":2,"system":"a","tier":"device","models":[]}"#, "version 2")
        rejects(#"{"format":"x","version":1,"system":"a","tier":"device","models":[]}"#, "\"format\"")
        rejects(#"{"format":"edge-profile","version":1,"system":"a","tier":"Device","models":[]}"#, "tier 'Device'")
        rejects(#"{"format":"edge-profile","version":1,"system":"a,b","tier":"device","models":[]}"#, "without commas")
        rejects(#"{"format":"edge-profile","version":1,"system":"a","tier":"device","models":[{"name":"m","blocks":[]}]}"#, "no blocks")
        rejects(#"{"format":"edge-profile","version":1,"system":"a","tier":"device","models":[{"name":"m","blocks":[\#(block),{"first_layer":3,"last_layer":3,"seconds":0.1,"output_bytes":1}]}]}"#, "do not follow on")
        rejects(#"{"format":"edge-profile","version":1,"system":"a","tier":"device","models":[{"name":"m","blocks":[{"first_layer":0,"last_layer":0,"seconds":-1,"output_bytes":1}]}]}"#, "finite number >= 0")
        rejects(#"{"format":"edge-profile","version":1,"system":"a","tier":"device","models":[{"name":"m","blocks":[{"first_layer":0,"last_layer":0,"seconds":"x","output_bytes":1}]}]}"#, "wrong type")
        func withTransfer(_ t: String) -> String {
            #"{"format":"edge-profile","version":1,"system":"a","tier":"device","models":[{"name":"m","blocks":[{"first_layer":0,"last_layer":0,"seconds":0.1,"output_bytes":1,"transfers":[\#(t)]}]}]}"#
        }
        let t = #"{"option":"pool2","tl":"pool2","encoding":"f32","bytes":10,"send_s":0.001,"receive_s":0.001,"fidelity":1}"#
        XCTAssertNoThrow(try SystemProfile.decode(Data(withTransfer(t).utf8), name: "ok.json"))
        rejects(withTransfer(t.replacingOccurrences(of: #""option":"pool2""#, with: #""option":"pool3""#)), "not a transfer option")
        rejects(withTransfer(t + "," + t), "appears twice")
        rejects(withTransfer(t.replacingOccurrences(of: #""fidelity":1"#, with: #""fidelity":1.5"#)), "fidelity must be in [0, 1]")
        rejects(withTransfer(t.replacingOccurrences(of: #""send_s":0.001"#, with: #""send_s":-1"#)), "bytes and times must be >= 0")
        rejects(withTransfer(t.replacingOccurrences(of: #","fidelity":1"#, with: "")), "missing \"fidelity\"")
    }

    /// Scission's pickles convert without running any code they name, and a pickle that
    /// asks for anything but a LayerBenchmark record is refused.
    func testImporterRefusesForeignPickles() throws {
        let dir = try PlannerTestSupport.tempDir("pickle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let evil = dir.appendingPathComponent("bench")
        try FileManager.default.createDirectory(at: evil, withIntermediateDirectories: true)
        // protocol 0: cos.system('touch MARKER') via REDUCE.
        let marker = dir.appendingPathComponent("MARKER").path
        let pickle = "cos\nsystem\n(S'touch \(marker)'\ntR."
        try pickle.write(to: evil.appendingPathComponent("device-evil.dat"), atomically: true, encoding: .utf8)
        let r = try PlannerTestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", PlannerTestSupport.repoRoot.appendingPathComponent("Tools/import_scission.py").path, evil.path, "-o", dir.appendingPathComponent("out").path])
        XCTAssertEqual(r.status, 4, r.stderr)
        XCTAssertTrue(r.stderr.contains("refusing to load os.system"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func compiledFixture(_ name: String, shape: String?, into dir: URL) throws -> String {
        let onnx = PlannerTestSupport.fixtures.appendingPathComponent("models/\(name)/model.onnx").path
        let out = dir.appendingPathComponent("\(name).edgm").path
        let r = try PlannerTestSupport.edgec(["compile", onnx, "-o", out] + (shape.map { ["--shape", $0] } ?? []))
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    /// edgec profile on fixture models: blocks tile the layers at clean cuts, each block
    /// is a valid slice, sizes match the slices' real outputs, and partition reads the result.
    func testProfileFixtureModelsAndPartitionThem() throws {
        let dir = try PlannerTestSupport.tempDir("profile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let resnet = try compiledFixture("resnet18", shape: "input=1x3x32x32", into: dir)
        let mobilenet = try compiledFixture("mobilenetv2", shape: nil, into: dir)
        let devFile = dir.appendingPathComponent("pi.json").path
        for m in [resnet, mobilenet] {
            let r = try PlannerTestSupport.edgec(["profile", m, "--system", "pi", "--tier", "device", "--iterations", "3", "--memory-mb", "64", "-o", devFile])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("profiling block"), "a progress line: \(r.stderr)")
        }
        let r2 = try PlannerTestSupport.edgec(["profile", resnet, "--system", "server", "--tier", "cloud", "--iterations", "2", "-o", dir.appendingPathComponent("server.json").path])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let profile = try SystemProfile.load(devFile)
        XCTAssertEqual(profile.models.map(\.name), ["resnet18", "mobilenetv2"], "a second model is added to the file")
        XCTAssertEqual(profile.memoryBytes, 64_000_000)

        let interp = try Interpreter(path: resnet)
        let m = try XCTUnwrap(profile.model(named: "resnet18"))
        XCTAssertEqual(m.runner, "interpreter")
        XCTAssertEqual(m.blocks.first?.firstLayer, 0)
        XCTAssertEqual(m.blocks.last?.lastLayer, interp.model.ops.count - 1)
        XCTAssertGreaterThan(m.blocks.count, 5, "a ResNet has a cut after every residual block")
        XCTAssertLessThan(m.blocks.count, interp.model.ops.count, "and none inside one")
        XCTAssertEqual(m.inputBytes, BlockProfiler.npyBytes([1, 3, 32, 32]))
        XCTAssertEqual(m.blocks.compactMap(\.flops).reduce(0, +), interp.layers.reduce(0) { $0 + $1.flops })
        for b in m.blocks {
            let plan = try SlicePlan(model: interp.model, range: b.firstLayer..<(b.lastLayer + 1), strict: true)
            XCTAssertEqual(b.outputShape, interp.model.tensors[plan.outputs[0]].shape)
            XCTAssertEqual(b.outputBytes, BlockProfiler.npyBytes(b.outputShape!))
            XCTAssertGreaterThan(b.seconds, 0)
            XCTAssertGreaterThan(b.arenaBytes!, 0)
        }

        // The two profiles partition; the memory cap is honoured.
        let net = dir.appendingPathComponent("net.csv").path
        try "source,destination,ping,bw\npi,server,20,10\n".write(toFile: net, atomically: true, encoding: .utf8)
        let r3 = try PlannerTestSupport.edgec(["partition", "--profiles", devFile, dir.appendingPathComponent("server.json").path, "--network", net,
                                               "--model", "resnet18", "--chain", "device,cloud", "--memory", "pi=0.1", "--json", "--chart", dir.appendingPathComponent("c.svg").path])
        XCTAssertEqual(r3.status, 0, r3.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r3.stdout.utf8)) as! [String: Any]
        let results = json["results"] as! [[String: Any]]
        XCTAssertFalse(results.isEmpty)
        let svg = try String(contentsOfFile: dir.appendingPathComponent("c.svg").path, encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        // --remote is served by an edged agent (AgentTests.BenchTests); here only the
        // argument check, which opens no connection.
        let r4 = try PlannerTestSupport.edgec(["profile", resnet, "--system", "pi", "--tier", "device", "--remote", "127.0.0.1:1",
                                               "--qemu", "-o", devFile])
        XCTAssertEqual(r4.status, 2)
        XCTAssertTrue(r4.stderr.contains("exclude each other"), r4.stderr)
    }

    /// --qemu: the aarch64 device build times each block under qemu-aarch64. Skips when
    /// the binary (make firmware) or qemu is missing, unless EDGE_REQUIRE_DEVICE=1.
    func testQemuProfileIsLabelledAndMatchesTheHostsBlocks() throws {
        let edgeRun = PlannerTestSupport.repoRoot.appendingPathComponent("Firmware/build/aarch64/edge-run").path
        let qemu = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/qemu-aarch64" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard FileManager.default.isExecutableFile(atPath: edgeRun), qemu != nil else {
            if ProcessInfo.processInfo.environment["EDGE_REQUIRE_DEVICE"] == "1" {
                XCTFail("EDGE_REQUIRE_DEVICE=1 but \(edgeRun) or qemu-aarch64 is missing")
            }
            throw XCTSkip("no Firmware/build/aarch64/edge-run (make firmware) or qemu-aarch64")
        }
        let dir = try PlannerTestSupport.tempDir("qemu")
        defer { try? FileManager.default.removeItem(at: dir) }
        let resnet = try compiledFixture("resnet18", shape: "input=1x3x32x32", into: dir)
        let out = dir.appendingPathComponent("emu.json").path
        let r = try PlannerTestSupport.edgec(["profile", resnet, "--system", "emu", "--tier", "device", "--qemu", "--edge-run", edgeRun, "--iterations", "2", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try SystemProfile.load(out)
        XCTAssertTrue(p.source?.contains("emulated") ?? false, p.source ?? "")
        let m = try XCTUnwrap(p.model(named: "resnet18"))
        XCTAssertEqual(m.runner, "qemu-aarch64")
        let host = try BlockProfiler(path: resnet).structure()
        XCTAssertEqual(m.blocks.map(\.firstLayer), host.map(\.firstLayer))
        XCTAssertEqual(m.blocks.map(\.outputBytes), host.map(\.outputBytes))
        XCTAssertTrue(m.blocks.allSatisfy { $0.seconds > 0 })
    }
}
