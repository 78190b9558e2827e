import EdgeFormat
import XCTest

/// Each op's params struct writes the record its decoder reads back, and refuses records
/// of the wrong length or with an unknown enum value.
final class OpParamsTests: XCTestCase {
    func op(_ ints: [Int64], _ floats: [Float], code: OpCode = .conv) -> OpDescription {
        OpDescription(code: code, name: "p", inputs: [], outputs: [], ints: ints, floats: floats)
    }

    func roundTrip<P: OpRecord>(_ p: P, _ decode: (OpDescription) throws(EdgeError) -> P,
                                file: StaticString = #filePath, line: UInt = #line) {
        let record = op(p.ints, p.floats)
        XCTAssertEqual(try decode(record), p, file: file, line: line)
        XCTAssertThrowsError(try decode(op(p.ints + [0], p.floats)), "one int too many", file: file, line: line)
        XCTAssertThrowsError(try decode(op(p.ints, p.floats + [0])), "one float too many", file: file, line: line)
    }

    func testEveryParamsStructRoundTrips() {
        let act = FusedActivation(.clip, alpha: -1, beta: 6)
        let window = Window2D(kernelH: 3, kernelW: 5, strideH: 2, strideW: 1, dilationH: 1, dilationW: 2,
                              padTop: 1, padLeft: 2, padBottom: 0, padRight: 3)
        roundTrip(ConvParams(activation: act, group: 4, window: window)) { o throws(EdgeError) in try ConvParams(o) }
        roundTrip(MaxPoolParams(window: window)) { o throws(EdgeError) in try MaxPoolParams(o) }
        var avgWindow = window
        avgWindow.dilationW = 1
        roundTrip(AveragePoolParams(window: avgWindow, countIncludePad: true)) { o throws(EdgeError) in try AveragePoolParams(o) }
        roundTrip(GemmParams(activation: act, transA: true)) { o throws(EdgeError) in try GemmParams(o) }
        roundTrip(ActivationParams(activation: act)) { o throws(EdgeError) in try ActivationParams(o) }
        roundTrip(BinaryParams(.prelu, activation: act)) { o throws(EdgeError) in try BinaryParams(o) }
        roundTrip(UnaryParams(.selu, alpha: 1.5, beta: 1.05)) { o throws(EdgeError) in try UnaryParams(o) }
        roundTrip(LRNParams(size: 5, alpha: 1e-4, beta: 0.75, bias: 2)) { o throws(EdgeError) in try LRNParams(o) }
        roundTrip(ResizeParams(mode: .linear, transform: .alignCorners, nearest: .ceil, scaleH: 2, scaleW: 0.5)) {
            o throws(EdgeError) in try ResizeParams(o)
        }
        roundTrip(AxisParams(axis: 2)) { o throws(EdgeError) in try AxisParams(o) }
        roundTrip(NoParams()) { o throws(EdgeError) in try NoParams(o) }
        roundTrip(SliceParams(starts: [0, 4, 1], steps: [1, -2, 3])) { o throws(EdgeError) in try SliceParams(o, rank: 3) }
        roundTrip(TransposeParams(perm: [2, 0, 1])) { o throws(EdgeError) in try TransposeParams(o, rank: 3) }
        roundTrip(PadParams(mode: .reflect, begins: [0, 1], ends: [2, 0], value: 0.5)) { o throws(EdgeError) in
            try PadParams(o, rank: 2)
        }
        let axes = ReduceMeanParams(axes: [1, 3])
        XCTAssertEqual(try ReduceMeanParams(op(axes.ints, []), rank: 4), axes)
        XCTAssertThrowsError(try ReduceMeanParams(op([], []), rank: 4), "no axes")
        XCTAssertThrowsError(try ReduceMeanParams(op([0, 1, 2], []), rank: 2), "more axes than dims")
    }

    /// Conv's record puts each field where Formats/EDGM.md says.
    func testConvLayoutMatchesTheSpec() {
        let p = ConvParams(activation: FusedActivation(.relu), group: 2,
                           window: Window2D(kernelH: 3, kernelW: 4, strideH: 5, strideW: 6, dilationH: 7, dilationW: 8,
                                            padTop: 9, padLeft: 10, padBottom: 11, padRight: 12))
        XCTAssertEqual(p.ints, [ActivationKind.relu.rawValue, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        XCTAssertEqual(p.floats, [0, 0])
    }

    func testUnknownEnumValuesAreRefused() {
        XCTAssertThrowsError(try ConvParams(op([99] + [Int64](repeating: 1, count: 11), [0, 0])), "activation kind")
        XCTAssertThrowsError(try GemmParams(op([0, 2], [0, 0])), "transA 2")
        XCTAssertThrowsError(try BinaryParams(op([0, 99], [0, 0])), "binary kind")
        XCTAssertThrowsError(try UnaryParams(op([0], [0, 0])), "unary kind 0 (none is no unary op)")
        XCTAssertThrowsError(try AveragePoolParams(op([2, 2, 1, 1, 0, 0, 0, 0, 2], [])), "countIncludePad 2")
        XCTAssertThrowsError(try ResizeParams(op([0, 9, 0], [1, 1])), "coordinate transform")
        XCTAssertThrowsError(try PadParams(op([7, 0, 0], [0]), rank: 1), "pad mode")
        XCTAssertNil(UnaryParams(FusedActivation.none), "no unary op for an empty activation")
        XCTAssertEqual(UnaryParams(FusedActivation(.hardSwish, alpha: 1, beta: 2))?.activation,
                       FusedActivation(.hardSwish, alpha: 1, beta: 2))
    }

    func testFusedActivationOnlyOnOpsThatCarryOne() {
        let conv = ConvParams(activation: FusedActivation(.tanh), window: Window2D(kernelH: 1, kernelW: 1))
        XCTAssertEqual(op(conv.ints, conv.floats, code: .conv).fusedActivation, FusedActivation(.tanh))
        let pool = MaxPoolParams(window: Window2D(kernelH: 2, kernelW: 2))
        XCTAssertNil(op(pool.ints, pool.floats, code: .maxPool).fusedActivation)
        XCTAssertEqual(OpCode.allCases.filter(\.carriesActivation),
                       [.conv, .convTranspose, .gemm, .matMul, .binary, .channelAffine])
    }
}
