@testable import EdgeCompiler
import EdgeFormat
import Foundation
import EdgeTestSupport
import XCTest

/// The importer table is complete: a new op code or ONNX operator that misses a piece fails
/// here instead of silently folding, pruning or reporting less.
final class OnnxOpTableTests: XCTestCase {
    func testEveryOpCodeHasALoweringFromAnOpWithAShapeRule() {
        for code in OpCode.allCases {
            let producers = OnnxOps.table.filter { $0.value.emits.contains(code) }
            XCTAssertFalse(producers.isEmpty, "no importer entry lowers to \(code.name)")
            XCTAssertTrue(producers.contains { $0.value.shape != nil }, "\(code.name): no producer has a shape rule")
        }
    }

    func testEntriesAreConsistent() {
        for (type, op) in OnnxOps.table {
            XCTAssertEqual(op.lower == nil, op.emits.isEmpty, "\(type): a lowering and the op codes it emits go together")
            if let target = op.loweredAs {
                XCTAssertNotNil(OnnxOps.table[target]?.lower, "\(type) is rewritten into \(target), which has no lowering")
            }
            // edge.Activation is created after shape inference, from nodes that had shapes.
            if !type.hasPrefix("edge.") && op.shape == nil {
                XCTAssertNotNil(op.fold, "\(type): neither a shape rule nor a folding rule")
                XCTAssertNil(op.lower, "\(type): lowered but never shaped")
            }
            if op.fusesActivation {
                XCTAssertNotNil(op.lower, "\(type) fuses activations but is not lowered")
            }
        }
    }

    /// Every entry has its row in Formats/ONNX_OPS.md, and every row an entry.
    func testEveryEntryIsDocumented() throws {
        let doc = try String(contentsOf: FixtureCase.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Formats/ONNX_OPS.md"), encoding: .utf8)
        var documented = Set<String>()
        for line in doc.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| ONNX op") {
            documented.insert(String(line.dropFirst(2).prefix { $0 != " " }))
        }
        let entries = Set(OnnxOps.table.keys.filter { !$0.hasPrefix("edge.") })
        XCTAssertEqual(entries.subtracting(documented).sorted(), [], "in OnnxOps.table but not in Formats/ONNX_OPS.md")
        XCTAssertEqual(documented.subtracting(entries).sorted(), [], "in Formats/ONNX_OPS.md but not in OnnxOps.table")
    }

    /// Each op code runs in at least one operator fixture (compared with onnxruntime by
    /// OperatorFixtureTests), so no op reaches a device untested end to end.
    func testEveryOpCodeRunsInAnOperatorFixture() throws {
        var seen = Set<OpCode>()
        for c in try FixtureCase.all(in: "ops") where c.expectError == nil {
            for run in c.runs.prefix(1) {
                var options = CompileOptions()
                options.inputShapes = run.shapes
                guard let compiled = try? Compiler.compile(onnxPath: c.modelPath, options: options) else { continue }
                let codes = try compiled.bytes.withUnsafeBytes { (p) throws(EdgeError) in try EdgmFile(image: p).model.ops.map(\.code) }
                seen.formUnion(codes)
            }
        }
        let missing = OpCode.allCases.filter { !seen.contains($0) }.map(\.name)
        XCTAssertEqual(missing, [], "op codes no operator fixture exercises (add one to Tools/make_fixtures.py)")
    }
}
