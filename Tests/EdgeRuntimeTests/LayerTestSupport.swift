// Shared utilities for layer/kernel tests (the seeded RNG is EdgeTestSupport's): guarded aligned tensors, op
// records, building and running a `Layer`, comparing against a reference.
import CEdgeSupport
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// A float tensor in 64-byte aligned memory (like the runtime's arena and weights),
/// followed by guard floats that must survive a layer run: a kernel writing past its
/// output trips `checkGuard`.
final class TestTensor {
    static let guardCount = 16
    static let guardValue = Float(bitPattern: 0x7FC0_BEEF)   // a NaN no kernel produces

    let shape: [Int]
    let count: Int
    let data: UnsafeMutablePointer<Float>
    /// Passed to layers as a weight of the file (`TensorRef.isConstant`): they may then
    /// pack it at load; otherwise they must read it on every run.
    var isConstant = false

    /// Filled with `values` if given, else with NaN (so an output a kernel forgets to
    /// write cannot pass a comparison by accident).
    init(shape: [Int], values: [Float]? = nil) {
        self.shape = shape
        count = shape.reduce(1, *)
        let bytes = (count + TestTensor.guardCount) * MemoryLayout<Float>.stride
        guard let raw = edge_aligned_alloc(bytes) else { fatalError("test allocation failed") }
        data = raw.bindMemory(to: Float.self, capacity: count + TestTensor.guardCount)
        if let values = values {
            precondition(values.count == count, "values do not match shape")
            for i in 0..<count { data[i] = values[i] }
        } else {
            for i in 0..<count { data[i] = .nan }
        }
        for i in 0..<TestTensor.guardCount { data[count + i] = TestTensor.guardValue }
    }

    /// A tensor that claims `shape` but owns no element memory: for records with absurd
    /// shapes, which a layer must reject at init without ever touching the data.
    init(declaredShape: [Int]) {
        shape = declaredShape
        count = 0
        guard let raw = edge_aligned_alloc(TestTensor.guardCount * MemoryLayout<Float>.stride) else {
            fatalError("test allocation failed")
        }
        data = raw.bindMemory(to: Float.self, capacity: TestTensor.guardCount)
        for i in 0..<TestTensor.guardCount { data[i] = TestTensor.guardValue }
    }

    deinit { free(data) }

    var ref: TensorRef { TensorRef(data: data, shape: shape, isConstant: isConstant) }

    var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// True when no write went past the end.
    var guardIntact: Bool {
        for i in 0..<TestTensor.guardCount where data[count + i].bitPattern != TestTensor.guardValue.bitPattern {
            return false
        }
        return true
    }
}

func makeTensor(shape: [Int], values: [Float]? = nil) -> TestTensor { TestTensor(shape: shape, values: values) }

/// A random tensor with values in `range`.
func makeRandomTensor(shape: [Int], rng: inout SeededRNG, _ range: ClosedRange<Float> = -1...1) -> TestTensor {
    TestTensor(shape: shape, values: rng.floats(shape.reduce(1, *), range))
}

/// A random weight: constant (packed at load) three times in four, else read per run.
func makeRandomWeight(shape: [Int], rng: inout SeededRNG) -> TestTensor {
    let t = makeRandomTensor(shape: shape, rng: &rng)
    t.isConstant = rng.int(0...3) > 0
    return t
}

/// An op record whose tensor ids number the operands in order (-1 for an absent input).
func makeOp(_ code: OpCode, name: String = "test", inputs: [TestTensor?], outputs: [TestTensor],
            ints: [Int64], floats: [Float] = []) -> OpDescription {
    var inIds: [Int32] = []
    for (i, t) in inputs.enumerated() { inIds.append(t == nil ? -1 : Int32(i)) }
    let outIds = (0..<outputs.count).map { Int32(inputs.count + $0) }
    return OpDescription(code: code, name: name, inputs: inIds, outputs: outIds, ints: ints, floats: floats)
}

/// The same, with the lists from the op's params.
func makeOp<P: OpRecord>(_ code: OpCode, name: String = "test", inputs: [TestTensor?], outputs: [TestTensor],
                         params: P) -> OpDescription {
    makeOp(code, name: name, inputs: inputs, outputs: outputs, ints: params.ints, floats: params.floats)
}

/// A record's lists: its params' unless a test breaks them directly (wrong lengths,
/// values no typed field can hold).
struct TestRecord<P: OpRecord> {
    var params: P
    var rawInts: [Int64]? = nil
    var rawFloats: [Float]? = nil

    init(_ params: P) {
        self.params = params
    }

    var ints: [Int64] {
        get { rawInts ?? params.ints }
        set { rawInts = newValue }
    }
    var floats: [Float] {
        get { rawFloats ?? params.floats }
        set { rawFloats = newValue }
    }
}

/// Builds the layer as the interpreter does (through `Layer`).
func buildLayer(_ op: OpDescription, inputs: [TestTensor?], outputs: [TestTensor]) throws(EdgeError) -> Layer {
    try Layer(op, inputs: inputs.map { $0?.ref }, outputs: outputs.map { $0.ref })
}

/// Runs a layer with its own guarded scratch buffer (filled with garbage, as a shared
/// scratch would be); fails the test if the layer wrote past its scratch.
func runLayer(_ layer: Layer, file: StaticString = #filePath, line: UInt = #line) {
    let scratch = TestTensor(shape: [layer.scratchFloats])
    for i in 0..<scratch.count { scratch.data[i] = 1e30 }
    layer.run(scratch: scratch.data)
    XCTAssertTrue(scratch.guardIntact, "layer wrote past its scratch", file: file, line: line)
}

/// Builds and runs in one go; fails the test (and returns false) if the build throws.
@discardableResult
func buildAndRun(_ op: OpDescription, inputs: [TestTensor?], outputs: [TestTensor],
                 file: StaticString = #filePath, line: UInt = #line) -> Bool {
    do {
        let layer = try buildLayer(op, inputs: inputs, outputs: outputs)
        runLayer(layer, file: file, line: line)
        for (i, t) in outputs.enumerated() {
            XCTAssertTrue(t.guardIntact, "layer wrote past output \(i)", file: file, line: line)
        }
        return true
    } catch {
        XCTFail("layer init threw: \(error.message)", file: file, line: line)
        return false
    }
}

/// Element-wise `|actual - expected| <= tolerance * (1 + |expected|)`; reports the first
/// few mismatches with `context` (put the case's parameters there).
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ context: @autoclosure () -> String,
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("count \(actual.count) != \(expected.count): \(context())", file: file, line: line)
        return
    }
    var failures = 0
    for i in 0..<actual.count {
        let a = actual[i], e = expected[i]
        let ok = (a.isNaN && e.isNaN) || abs(a - e) <= tolerance * (1 + abs(e))
        if !ok {
            failures += 1
            if failures <= 3 {
                XCTFail("[\(i)] got \(a), expected \(e): \(context())", file: file, line: line)
            }
        }
    }
    if failures > 3 { XCTFail("\(failures) mismatches in total: \(context())", file: file, line: line) }
}

/// Asserts that building the layer throws an `EdgeError` (of `kind`, if given) whose
/// message names the op — the contract for malformed records: an error, never a trap.
func assertRejects(_ op: OpDescription, inputs: [TestTensor?], outputs: [TestTensor], kind: EdgeError.Kind? = nil,
                   _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try buildLayer(op, inputs: inputs, outputs: outputs)
        XCTFail("expected an error: \(context)", file: file, line: line)
    } catch {
        if let kind = kind {
            XCTAssertEqual(error.kind, kind, "\(error.message) (\(context))", file: file, line: line)
        }
        XCTAssertTrue(error.message.contains("'\(op.name)'"), "message does not name the op: \(error.message)",
                      file: file, line: line)
    }
}

/// A fused activation drawn at random, with the parameters the compiler would write
/// (Clip as Relu6 or a random range, HardSwish with ONNX's 1/6 and 0.5, ...).
struct TestActivation {
    var kind: ActivationKind
    var alpha: Float
    var beta: Float

    static let none = TestActivation(kind: .none, alpha: 0, beta: 0)

    static func random(_ rng: inout SeededRNG) -> TestActivation {
        let kind = rng.pick(ActivationKind.allCases)
        switch kind {
        case .clip: return rng.bool() ? TestActivation(kind: .clip, alpha: 0, beta: 6)
                                      : TestActivation(kind: .clip, alpha: -0.5, beta: 0.7)
        case .leakyRelu: return TestActivation(kind: kind, alpha: 0.1, beta: 0)
        case .hardSigmoid: return TestActivation(kind: kind, alpha: 0.2, beta: 0.5)
        case .hardSwish: return TestActivation(kind: kind, alpha: 1.0 / 6, beta: 0.5)
        default: return TestActivation(kind: kind, alpha: 0, beta: 0)
        }
    }

    /// As an op's params carry it.
    var fused: FusedActivation { FusedActivation(kind, alpha: alpha, beta: beta) }
}
