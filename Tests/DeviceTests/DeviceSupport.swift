import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// The device build (`make -C Firmware`: Firmware/build/aarch64/edge-run) run under
/// qemu-aarch64. Without the binary or qemu the tests skip, unless EDGE_REQUIRE_DEVICE=1
/// makes that a failure (for CI that is meant to cover the device build).
/// EDGE_DEVICE_ARCH=armv7 tests `make -C Firmware armv7`'s binary under qemu-arm instead.
enum Device {
    static let root = TestPaths.repoRoot
    static let arch = ProcessInfo.processInfo.environment["EDGE_DEVICE_ARCH"] ?? "aarch64"
    static let binary = root.appendingPathComponent("Firmware/build/\(arch)/edge-run")
    /// The randomized GEMM kernel check built next to it (Firmware/Support/gemm_check.c).
    static let gemmCheck = root.appendingPathComponent("Firmware/build/\(arch)/gemm-check")
    static let fixtures = TestPaths.fixtures

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
        if required { throw TestFailure(message: message + " (EDGE_REQUIRE_DEVICE=1)") }
        throw XCTSkip(message)
    }

    /// Runs `edge-run args...` (or another device `binary`) under qemu with a timeout.
    static func run(_ qemu: URL, _ args: [String], timeout: TimeInterval = 120,
                    binary: URL = Device.binary) throws -> CommandOutcome {
        try CommandRunner.run(qemu, [binary.path] + args, timeout: timeout)
    }

    /// The host CLI's rule for output file names.
    static func safeFileName(_ name: String) -> String {
        String(name.map { ($0.isLetter || $0.isNumber || "._-".contains($0)) && $0.isASCII ? $0 : "_" })
    }
}

extension FixtureCase {
    /// Compiles the model for `run`'s shapes into `file`.
    func compile(_ run: Run, to file: URL, compressWeights: Bool = false) throws {
        var options = CompileOptions()
        options.inputShapes = run.shapes
        options.compressWeights = compressWeights
        let compiled = try Compiler.compile(onnxPath: modelPath, options: options)
        try Data(compiled.bytes).write(to: file)
    }
}

/// The host interpreter's outputs for the same .edgm file: the reference the device
/// must reproduce (same sources, another compiler target and BLAS build).
func hostOutputs(model: URL, inputs: [String: String], range: Range<Int>? = nil, outputs: [Int]? = nil) throws -> [String: NpyArray] {
    let interpreter = try Interpreter(path: model.path)
    for (name, file) in inputs {
        guard let id = interpreter.tensorId(named: name) else {
            throw TestFailure(message: "\(model.lastPathComponent) has no tensor '\(name)'")
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
