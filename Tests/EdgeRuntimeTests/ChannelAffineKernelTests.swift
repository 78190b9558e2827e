import EdgeFormat
import EdgeReference
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// ChannelAffineLayer against `GemmReference.channelAffine`: ranks 2 to 5, every
/// activation, and in-place operation (Y aliasing X).
final class ChannelAffineKernelTests: XCTestCase {
    func check(shape: [Int], act: TestActivation, inPlace: Bool, _ rng: inout SeededRNG,
               file: StaticString = #filePath, line: UInt = #line) {
        let c = shape[1]
        let x = makeRandomTensor(shape: shape, rng: &rng, -3...3)
        let scale = makeRandomTensor(shape: [c], rng: &rng, -2...2)
        let shift = makeRandomTensor(shape: [c], rng: &rng)
        let expected = GemmReference.channelAffine(x: x.values, xShape: shape, scale: scale.values, shift: shift.values,
                                                   activation: act.kind, alpha: act.alpha, beta: act.beta)
        let y = inPlace ? x : makeTensor(shape: shape)
        let op = makeOp(.channelAffine, inputs: [x, scale, shift], outputs: [y], params: ActivationParams(activation: act.fused))
        if buildAndRun(op, inputs: [x, scale, shift], outputs: [y], file: file, line: line) {
            assertClose(y.values, expected, "\(shape) act \(act.kind) inPlace \(inPlace)", file: file, line: line)
        }
    }

    func testRandomCases() {
        var rng = SeededRNG(seed: 0xAFF)
        for i in 0..<100 {
            let rank = rng.int(2...5)
            let shape = [rng.int(1...2), rng.int(1...6)] + (2..<rank).map { _ in rng.int(1...7) }
            check(shape: shape, act: TestActivation.random(&rng), inPlace: i % 3 == 0, &rng)
        }
    }

    func testEveryActivation() {
        var rng = SeededRNG(seed: 12)
        for act in ActivationKind.allCases {
            var a = TestActivation.random(&rng)
            while a.kind != act { a = TestActivation.random(&rng) }
            check(shape: [1, 3, 5, 4], act: a, inPlace: false, &rng)
        }
    }

    func testRejectsMalformedRecords() {
        let x = makeTensor(shape: [1, 3, 4, 4]), s = makeTensor(shape: [3]), b = makeTensor(shape: [3])
        let y = makeTensor(shape: [1, 3, 4, 4])
        func reject(_ kind: EdgeError.Kind?, _ what: String, x: TestTensor = x, s: TestTensor = s, b: TestTensor = b,
                    y: TestTensor = y, ints: [Int64] = ActivationParams().ints, floats: [Float] = ActivationParams().floats) {
            let op = makeOp(.channelAffine, name: "bad_affine", inputs: [x, s, b], outputs: [y], ints: ints,
                            floats: floats)
            assertRejects(op, inputs: [x, s, b], outputs: [y], kind: kind, what)
        }
        XCTAssertNoThrow(try buildLayer(makeOp(.channelAffine, inputs: [x, s, b], outputs: [y], params: ActivationParams()), inputs: [x, s, b], outputs: [y]))
        reject(.format, "no ints", ints: [])
        reject(.format, "2 ints", ints: [0, 1])
        reject(.format, "3 floats", floats: [0, 0, 0])
        reject(.format, "unknown activation", ints: [9])
        reject(.shape, "scale count", s: makeTensor(shape: [4]))
        reject(.shape, "shift count", b: makeTensor(shape: [1]))
        reject(.shape, "Y shape", y: makeTensor(shape: [1, 3, 4, 5]))
        reject(.shape, "rank 1", x: makeTensor(shape: [3]), y: makeTensor(shape: [3]))
        reject(.shape, "absurd X", x: TestTensor(declaredShape: [1 << 33, 3, 1 << 33, 1]),
               y: TestTensor(declaredShape: [1 << 33, 3, 1 << 33, 1]))
        assertRejects(makeOp(.channelAffine, name: "bad_affine", inputs: [x, s, nil], outputs: [y], params: ActivationParams()),
                      inputs: [x, s, nil], outputs: [y], kind: .format, "absent shift")
    }
}
