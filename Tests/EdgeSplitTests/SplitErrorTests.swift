import EdgeFormat
import EdgeTransfer
import EdgeRuntime
@testable import EdgeSplit
import Foundation
import XCTest

/// Bad requests end in a clear EdgeError, never a crash or a silently wrong split.
final class SplitErrorTests: XCTestCase {
    func testInvalidCutsAreRefusedWithTheReason() throws {
        let path = try SplitFixtures.resnet18
        let model = try SplitFixtures.model(at: path)
        let valid = Set(Cut.all(model).map(\.layer))
        guard let inside = (0..<(model.ops.count - 1)).first(where: { !valid.contains($0) }) else {
            return XCTFail("ResNet-18 should have cuts inside residual blocks")
        }
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitFixtures.options(inside)),
                                 kind: .invalidArgument, contains: "not a clean cut")
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitFixtures.options(inside)),
                                 kind: .invalidArgument, contains: "valid cuts: ")
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitFixtures.options(model.ops.count - 1)),
                                 kind: .invalidArgument, contains: "outside")
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitOptions(at: "no_such_op")),
                                 kind: .invalidArgument, contains: "neither a layer index nor an op name")
    }

    func testBadTransferLayerArguments() throws {
        XCTAssertThrowsEdgeError(try TransferLayerKind.parse("pca:0"), kind: .invalidArgument, contains: "positive integer")
        XCTAssertThrowsEdgeError(try TransferLayerKind.parse("pca:x"), kind: .invalidArgument, contains: "positive integer")
        XCTAssertThrowsEdgeError(try TransferLayerKind.parse("pool4"), kind: .invalidArgument, contains: "not one of")
        XCTAssertThrowsEdgeError(try TransferEncoding.parse("i4"), kind: .invalidArgument, contains: "not one of")
        let path = try SplitFixtures.digits
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitFixtures.options(1, .pca(33), calibration: SplitFixtures.digitsSamples)),
                                 kind: .invalidArgument, contains: "at most the 32 channels")
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitFixtures.options(1, .pca(4))),
                                 kind: .invalidArgument, contains: "needs --calibration")
        var o = SplitFixtures.options(1, .pcaAuto, calibration: SplitFixtures.digitsSamples)
        o.fidelity = 1.5
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: o), kind: .invalidArgument, contains: "--fidelity")
    }

    func testBadCalibrationSets() throws {
        let path = try SplitFixtures.digits
        let empty = SplitFixtures.temp.appendingPathComponent("empty-calibration").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitFixtures.options(1, .pca(4), calibration: empty)),
                                 kind: .invalidArgument, contains: "holds no .npy files")
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitFixtures.options(1, calibration: empty + "/missing")),
                                 kind: .io, contains: "does not exist")
        let wrong = SplitFixtures.temp.appendingPathComponent("wrong-calibration").path
        try FileManager.default.createDirectory(atPath: wrong, withIntermediateDirectories: true)
        try NpyArray(shape: [1, 1, 7, 7], data: [Float](repeating: 0, count: 49)).write(wrong + "/a.npy")
        XCTAssertThrowsEdgeError(try Splitter.split(modelPath: path, options: SplitFixtures.options(1, calibration: wrong)),
                                 kind: .shape, contains: "not one or more inputs")
    }
}
