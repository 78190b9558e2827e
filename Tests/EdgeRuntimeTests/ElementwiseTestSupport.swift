import EdgeFormat
import EdgeTestSupport
import XCTest
@testable import EdgeRuntime

// Helpers of the elementwise / shape-op / resize / softmax / LRN / ReduceMean kernel tests,
// on top of LayerTestSupport.swift (prefixed `ew` so they never clash with other files').
// These tests build the layer structs directly (not through `Layer`) to see the path a
// layer chose and to hand it `TensorRef`s with other shapes over the same memory.

extension SeededRNG {
    /// A shape of `rank` dims, each in `dims`.
    mutating func ewShape(rank: Int, _ dims: ClosedRange<Int>) -> [Int] {
        (0..<rank).map { _ in int(dims) }
    }

    /// `values` in a random order (Fisher-Yates).
    mutating func ewShuffled(_ values: [Int]) -> [Int] {
        var v = values
        for i in stride(from: v.count - 1, to: 0, by: -1) { v.swapAt(i, int(0...i)) }
        return v
    }
}

/// An op record with `inputs` and `outputs` tensor ids numbered in order.
func ewOp(_ code: OpCode, ints: [Int64], floats: [Float] = [], inputs: Int = 1, outputs: Int = 1,
          name: String = "test") -> OpDescription {
    OpDescription(code: code, name: name, inputs: (0..<inputs).map { Int32($0) },
                  outputs: (0..<outputs).map { Int32(inputs + $0) }, ints: ints, floats: floats)
}

/// The same, with the lists from the op's params.
func ewOp<P: OpRecord>(_ code: OpCode, params: P, inputs: Int = 1, outputs: Int = 1, name: String = "test") -> OpDescription {
    ewOp(code, ints: params.ints, floats: params.floats, inputs: inputs, outputs: outputs, name: name)
}

/// Runs a layer struct with a guarded scratch buffer of the size it asks for, filled with
/// NaN so a kernel reading scratch before writing it shows up in the results.
func ewRun<L: LayerKernel>(_ layer: L, file: StaticString = #filePath, line: UInt = #line) {
    let scratch = TestTensor(shape: [layer.scratchFloats])
    layer.run(scratch: scratch.data)
    XCTAssertTrue(scratch.guardIntact, "layer wrote past its scratch", file: file, line: line)
}

/// `|got - want| <= tol * (1 + |want|)` elementwise (NaN matches NaN); exact when tol is 0.
func ewAssertClose(_ got: [Float], _ want: [Float], tol: Float = 1e-5, _ message: @autoclosure () -> String,
                   file: StaticString = #filePath, line: UInt = #line) {
    assertClose(got, want, tolerance: tol, message(), file: file, line: line)
}

/// Asserts that `body` throws an `EdgeError` (of `kind` if given) whose message names the op.
func ewAssertThrows(_ kind: EdgeError.Kind? = nil, _ message: String,
                    file: StaticString = #filePath, line: UInt = #line,
                    _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("\(message): did not throw", file: file, line: line)
    } catch {
        guard let error = error as? EdgeError else {
            XCTFail("\(message): threw \(error), not an EdgeError", file: file, line: line)
            return
        }
        if let kind, error.kind != kind {
            XCTFail("\(message): threw \(error.kind) (\(error.message)), expected \(kind)", file: file, line: line)
        }
        XCTAssertTrue(error.message.contains("op '"), "\(message): message '\(error.message)' does not name the op",
                      file: file, line: line)
    }
}
