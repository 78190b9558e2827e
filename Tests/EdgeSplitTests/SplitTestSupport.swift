import EdgeCompiler
import EdgeFormat
import EdgeTransfer
import EdgeWire
import EdgeRuntime
@testable import EdgeSplit
import EdgeTestSupport
import Foundation
import XCTest

/// Compiled fixture models (once per test process) and a scratch directory.
enum SplitFixtures {
    static let root = TestPaths.fixtures

    static let temp: URL = {
        try! TestPaths.temporaryDirectory("split")
    }()

    nonisolated(unsafe) static var compiled: [String: String] = [:]

    /// The .edgm path of a fixture ONNX model (relative to Tests/Fixtures).
    static func model(_ onnx: String, shapes: [String: [Int]] = [:]) throws -> String {
        let key = onnx + shapes.keys.sorted().map { "_\($0)" + shapes[$0]!.map(String.init).joined(separator: "x") }.joined()
        if let p = compiled[key] { return p }
        var options = CompileOptions()
        options.inputShapes = shapes
        let result = try Compiler.compile(onnxPath: root.appendingPathComponent(onnx).path, options: options)
        let path = temp.appendingPathComponent(key.replacingOccurrences(of: "/", with: "_") + ".edgm").path
        try FileIO.write(path, result.bytes)
        compiled[key] = path
        return path
    }

    static var digits: String { get throws { try model("portfolio/digits_imp_00.onnx") } }
    static var resnet18: String { get throws { try model("models/resnet18/model.onnx", shapes: ["input": [1, 3, 32, 32]]) } }
    static var mobilenetv2: String { get throws { try model("models/mobilenetv2/model.onnx") } }
    static var yolo: String { get throws { try model("models/yolo_tiny/model.onnx", shapes: ["images": [1, 3, 64, 64]]) } }

    /// The four digits test images (sample_0..3.npy).
    static var digitsSamples: String { root.appendingPathComponent("portfolio").path }

    static func fixtureInput(_ name: String) -> String {
        root.appendingPathComponent("models/\(name)/run0_in_0.npy").path
    }

    static func options(_ at: Int, _ tl: TransferLayerKind = .none, _ enc: TransferEncoding = .f32,
                        calibration: String? = nil, zlib: Bool = true) -> SplitOptions {
        var o = SplitOptions(at: "\(at)")
        o.transferLayer = tl
        o.encoding = enc
        o.calibration = calibration
        o.zlib = zlib
        return o
    }

    static func model(at path: String) throws -> EdgmModel { try Interpreter(path: path).model }

    /// Size of the serialized TransferTensor of `shape` in `enc` without zlib: the payload
    /// plus protobuf's field tags and lengths (and, for u8, the per-channel parameters).
    static func wireBytes(_ shape: [Int], _ enc: TransferEncoding) -> Double {
        let count = shape.reduce(1, *)
        let channels = enc == .u8 ? shape[1] : 0
        let t = TransferTensor(encoding: enc.rawValue, shape: shape, zlib: false, rawBytes: count * enc.bytesPerValue,
                               scale: [Float](repeating: 0.5, count: channels), offset: [Float](repeating: 0.5, count: channels),
                               payload: [UInt8](repeating: 1, count: count * enc.bytesPerValue))
        return Double(t.encode().count)
    }
}

func XCTAssertThrowsEdgeError(_ body: @autoclosure () throws -> Any, kind: EdgeError.Kind, contains text: String,
                              file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error containing '\(text)'", file: file, line: line)
    } catch let e as EdgeError {
        XCTAssertEqual(e.kind, kind, e.message, file: file, line: line)
        XCTAssertTrue(e.message.contains(text), "'\(e.message)' does not contain '\(text)'", file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
