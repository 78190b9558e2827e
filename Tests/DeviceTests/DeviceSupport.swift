import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import Foundation
import XCTest

/// The device build (`make -C Firmware`: Firmware/build/aarch64/edge-run) run under
/// qemu-aarch64. Without the binary or qemu the tests skip, unless EDGE_REQUIRE_DEVICE=1
/// makes that a failure (for CI that is meant to cover the device build).
/// EDGE_DEVICE_ARCH=armv7 tests `make -C Firmware armv7`'s binary under qemu-arm instead.
enum Device {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let arch = ProcessInfo.processInfo.environment["EDGE_DEVICE_ARCH"] ?? "aarch64"
    static let binary = root.appendingPathComponent("Firmware/build/\(arch)/edge-run")
    /// The randomized GEMM kernel check built next to it (Firmware/Support/gemm_check.c).
    static let gemmCheck = root.appendingPathComponent("Firmware/build/\(arch)/gemm-check")
    static let fixtures = root.appendingPathComponent("Tests/Fixtures")

    static var required: Bool { ProcessInfo.processInfo.environment["EDGE_REQUIRE_DEVICE"] == "1" }

    /// qemu-aarch64 (or qemu-arm) from PATH. No `-L /usr/aarch64-linux-gnu`: that mixes the
    /// cross loader with the multiarch libc and hangs once OpenBLAS starts threads; the
    /// multiarch loader and libraries are found at their usual paths without -L.
    static var qemuName: String { arch == "armv7" ? "qemu-arm" : "qemu-aarch64" }

    static var qemu: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(qemuName)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Throws XCTSkip (or fails, under EDGE_REQUIRE_DEVICE=1) when the device program
    /// cannot run here; returns qemu's path.
    static func available() throws -> URL {
        var missing: [String] = []
        if !FileManager.default.isExecutableFile(atPath: binary.path) {
            missing.append("\(binary.path) (make -C Firmware\(arch == "aarch64" ? "" : " " + arch))")
        }
        let q = qemu
        if q == nil { missing.append("\(qemuName) (Tools/setup_cross.sh)") }
        if missing.isEmpty, let q { return q }
        let message = "device tests need " + missing.joined(separator: " and ")
        if required { throw DeviceTestError(message: message + " (EDGE_REQUIRE_DEVICE=1)") }
        throw XCTSkip(message)
    }

    struct Outcome {
        var status: Int32
        /// False when the process died of a signal (a trap under qemu shows up as one).
        var exited: Bool
        var stdout: String
        var stderr: String

        /// Exit codes of a crash as a shell reports them: SIGTRAP, SIGABRT, SIGSEGV.
        var crashed: Bool { !exited || [133, 134, 139].contains(status) }
    }

    /// Runs `edge-run args...` under qemu with a timeout; output goes through files, so
    /// a chatty run cannot block on a full pipe.
    static func run(_ qemu: URL, _ args: [String], in dir: URL, timeout: TimeInterval = 120,
                    binary: URL = Device.binary) throws -> Outcome {
        let id = UUID().uuidString
        let outURL = dir.appendingPathComponent("stdout-\(id).txt")
        let errURL = dir.appendingPathComponent("stderr-\(id).txt")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let p = Process()
        p.executableURL = qemu
        p.arguments = [binary.path] + args
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            _ = done.wait(timeout: .now() + 5)
            throw DeviceTestError(message: "edge-run \(args.joined(separator: " ")) did not finish in \(Int(timeout)) s")
        }
        return Outcome(status: p.terminationStatus,
                       exited: p.terminationReason == .exit,
                       stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// The host CLI's rule for output file names.
    static func safeFileName(_ name: String) -> String {
        String(name.map { ($0.isLetter || $0.isNumber || "._-".contains($0)) && $0.isASCII ? $0 : "_" })
    }
}

struct DeviceTestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The part of the fixture format (Tests/Fixtures/README.md) these tests use; a copy of
/// what EdgeCompilerTests/FixtureSupport.swift reads (test targets cannot share code).
struct ModelFixture {
    struct Run {
        var name: String
        var shapes: [String: [Int]]
        var inputs: [String: String]
        var outputs: [String: String]
    }

    var directory: URL
    var model: String
    var tolerance: Float
    var runs: [Run]

    var name: String { directory.lastPathComponent }
    var modelPath: String { directory.appendingPathComponent(model).path }

    static func all() throws -> [ModelFixture] {
        let dir = Device.fixtures.appendingPathComponent("models")
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().compactMap { name in
            let caseDir = dir.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: caseDir.appendingPathComponent("case.json").path) else { return nil }
            return try ModelFixture(directory: caseDir)
        }
    }

    static func named(_ name: String) throws -> ModelFixture {
        try ModelFixture(directory: Device.fixtures.appendingPathComponent("models").appendingPathComponent(name))
    }

    init(directory: URL) throws {
        self.directory = directory
        let data = try Data(contentsOf: directory.appendingPathComponent("case.json"))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DeviceTestError(message: "\(directory.path)/case.json is not an object")
        }
        model = json["model"] as? String ?? "model.onnx"
        tolerance = Float(json["tolerance"] as? Double ?? 1e-4)
        runs = (json["runs"] as? [[String: Any]] ?? []).map { r in
            Run(name: r["name"] as? String ?? "run",
                shapes: (r["shapes"] as? [String: [Int]]) ?? [:],
                inputs: (r["inputs"] as? [String: String]) ?? [:],
                outputs: (r["outputs"] as? [String: String]) ?? [:])
        }
    }

    func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    /// Compiles the model for `run`'s shapes into `file`.
    func compile(_ run: Run, to file: URL, compressWeights: Bool = false) throws {
        var options = CompileOptions()
        options.inputShapes = run.shapes
        options.compressWeights = compressWeights
        let compiled = try Compiler.compile(onnxPath: modelPath, options: options)
        try Data(compiled.bytes).write(to: file)
    }

    /// `--input NAME=FILE` arguments for `run`.
    func inputArguments(_ run: Run) -> [String] {
        run.inputs.keys.sorted().flatMap { ["--input", $0 + "=" + path(run.inputs[$0]!)] }
    }
}

/// The host interpreter's outputs for the same .edgm file: the reference the device
/// must reproduce (same sources, another compiler target and BLAS build).
func hostOutputs(model: URL, inputs: [String: String], range: Range<Int>? = nil, outputs: [Int]? = nil) throws -> [String: NpyArray] {
    let interpreter = try Interpreter(path: model.path)
    for (name, file) in inputs {
        guard let id = interpreter.tensorId(named: name) else {
            throw DeviceTestError(message: "\(model.lastPathComponent) has no tensor '\(name)'")
        }
        let array = try NpyArray.read(file)
        try array.data.withUnsafeBufferPointer { (p) throws(EdgeError) in try interpreter.write(tensor: id, p) }
    }
    interpreter.run(range)
    var result: [String: NpyArray] = [:]
    for id in outputs ?? interpreter.model.graph.outputs.map({ Int($0) }) {
        let t = interpreter.model.tensors[id]
        result[t.name] = NpyArray(shape: t.shape, data: Array(interpreter.read(tensor: id)))
    }
    return result
}

/// Largest |got - want| / (1 + |want|), or nil when the element counts differ.
func worstRelativeError(_ got: [Float], _ want: [Float]) -> Float? {
    guard got.count == want.count else { return nil }
    var worst: Float = 0
    for i in 0..<got.count {
        let e = abs(got[i] - want[i]) / (1 + abs(want[i]))
        if !(e <= worst) { worst = e.isNaN ? .infinity : e }
    }
    return worst
}
