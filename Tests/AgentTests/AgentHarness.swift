import EdgeClient
import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import EdgeTrust
import EdgeWire
import Foundation
import XCTest

/// Test fixtures for the agent: two digits variants whose outputs differ, a key pair,
/// and real `edged` processes on 127.0.0.1 (port 0 + --port-file, so no port races).
enum AgentFixtures {
    static let root = TestPaths.repoRoot
    static let portfolio = TestPaths.fixtures.appendingPathComponent("portfolio")

    /// The edged built next to the test bundle (swift build --build-tests builds it).
    static var edgedPath: String { CommandRunner.builtProduct("edged").path }

    struct Variant {
        let name: String
        let model: [UInt8]
        let expected: [Float]   // logits for `sample` computed in-process
    }

    static let sample: NpyArray = try! NpyArray.read(portfolio.appendingPathComponent("sample_0.npy").path)
    static let keys = Ed25519.keypair()
    static let otherKeys = Ed25519.keypair()

    static let variants: [Variant] = {
        ["digits_imp_00": "dense", "digits_imp_87": "p87"].sorted(by: { $0.key < $1.key }).map { file, name in
            let onnx = portfolio.appendingPathComponent(file + ".onnx").path
            let bytes = try! Compiler.compile(onnxPath: onnx, options: CompileOptions()).bytes
            return Variant(name: name, model: bytes, expected: localRun(bytes))
        }
    }()

    static func localRun(_ model: [UInt8]) -> [Float] {
        let i = try! Interpreter(bytes: model)
        try! sample.data.withUnsafeBufferPointer { try i.write(tensor: Int(i.model.graph.inputs[0]), $0) }
        i.run()
        return Array(i.read(tensor: Int(i.model.graph.outputs[0])))
    }

    static func artifact(_ v: Variant, version: UInt64, key: [UInt8] = keys.secretKey) -> [UInt8] {
        try! ArtifactSigner.sign(model: v.model, metadata: ArtifactMetadata(name: v.name, version: version, family: "digits"), secretKey: key)
    }

    static func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
        return m
    }

    /// Which variant produced these outputs (nil if none within 1e-5).
    static func variantProducing(_ outs: [Float]) -> String? {
        variants.first { maxDiff($0.expected, outs) <= 1e-5 }?.name
    }
}

/// One edged process. `kill()` is SIGKILL; deinit always kills.
final class AgentProcess {
    let dir: URL
    let process = Process()
    let port: Int32
    let host: String
    var address: String { "\(host):\(port)" }

    /// `launcher`: e.g. ["/usr/bin/qemu-aarch64", "Firmware/build/aarch64/stripped/edged"].
    /// `host`: the IPv4 address to listen on (a test namespace's, with an `ip netns exec` launcher).
    init(dir: URL, extra: [String] = [], launcher: [String]? = nil, startSeconds: Int = 10, host: String = "127.0.0.1") throws {
        self.dir = dir
        self.host = host
        let pub = dir.appendingPathComponent("ops.pub").path
        if !FileManager.default.fileExists(atPath: pub) {
            try KeyFile.publicText(AgentFixtures.keys.publicKey).write(toFile: pub, atomically: true, encoding: .utf8)
        }
        let portFile = dir.appendingPathComponent("port")
        try? FileManager.default.removeItem(at: portFile)
        let command = launcher ?? [AgentFixtures.edgedPath]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + ["--listen", "\(host):0", "--store", dir.appendingPathComponent("store").path,
                             "--trust", pub, "--port-file", portFile.path, "--quiet"] + extra
        process.standardOutput = FileHandle.nullDevice
        let log = dir.appendingPathComponent("edged.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        var found: Int32? = nil
        for _ in 0..<(startSeconds * 20) {
            if let s = try? String(contentsOf: portFile, encoding: .utf8), let p = Int32(s.trimmingCharacters(in: .whitespacesAndNewlines)) {
                found = p
                break
            }
            if !process.isRunning { break }
            usleep(50_000)
        }
        guard let p = found else {
            process.terminate()
            throw ClientError.local("edged did not start: " + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
        }
        port = p
    }

    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill() }
}

class AgentTestCase: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("edged-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    var key: [UInt8] { AgentFixtures.keys.secretKey }
    var dense: AgentFixtures.Variant { AgentFixtures.variants[0] }
    var pruned: AgentFixtures.Variant { AgentFixtures.variants[1] }

    func input() -> [(String, NpyArray)] { [("image", AgentFixtures.sample)] }

    func outputs(_ r: InferReply) throws -> [Float] { try WireTensors.floats(r.outputs[0]) }

    /// Runs the edgec built next to edged: its exit status and stdout.
    func edgec(_ args: [String]) throws -> (status: Int32, stdout: String) {
        let r = try CommandRunner.edgec(args)
        return (r.status, r.stdout)
    }

    /// edgec's stdout; asserts it exited 0.
    func runEdgec(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try edgec(args)
        XCTAssertEqual(r.status, 0, "edgec \(args.joined(separator: " "))", file: file, line: line)
        return r.stdout
    }

    func edgecStatus(_ args: [String]) throws -> Int32 { try edgec(args).status }

    /// Polls the agent's status until `name` is active (true) or `seconds` pass (false).
    func waitForActive(_ c: AgentClient, _ name: String, seconds: Double) throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try c.status().active == name { return true }
            usleep(100_000)
        }
        return false
    }

    /// Asserts `body` fails with the agent refusing for `code`.
    func assertRefused(_ code: RefusalCode, _ what: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("\(what): accepted", file: file, line: line)
        } catch ClientError.refused(let c, let m) {
            XCTAssertEqual(c, code, "\(what): refused for \(c.name) (\(m))", file: file, line: line)
            XCTAssertFalse(m.isEmpty, file: file, line: line)
        } catch {
            XCTFail("\(what): failed with \(error) instead of a refusal", file: file, line: line)
        }
    }
}
