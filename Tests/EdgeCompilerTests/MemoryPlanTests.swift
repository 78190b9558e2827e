import EdgeCompiler
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// Checks the arena layout in compiled files directly, independent of the planner's code:
/// two tensors whose bytes overlap must never be live at the same time, unless one is a
/// view of the other or an elementwise op writes one over the other as it dies.
final class MemoryPlanTests: XCTestCase {
    func compiledModels() throws -> [(String, EdgmModel)] {
        var result: [(String, EdgmModel)] = []
        for c in try FixtureCase.all(in: "models") {
            var options = CompileOptions()
            options.inputShapes = c.runs[0].shapes
            let bytes = try Compiler.compile(onnxPath: c.modelPath, options: options).bytes
            let file = try bytes.withUnsafeBytes { raw in try Result<EdgmFile, EdgeError>(catching: { () throws(EdgeError) in try EdgmFile(image: raw) }).get() }
            result.append((c.name, file.model))
        }
        return result
    }

    func testNoTwoLiveTensorsShareBytes() throws {
        for (name, m) in try compiledModels() {
            let n = m.tensors.count
            // Root of each tensor's view chain.
            func base(_ t: Int) -> Int { m.tensors[t].aliasOf >= 0 ? base(Int(m.tensors[t].aliasOf)) : t }
            var first = [Int](repeating: Int.max, count: n), last = [Int](repeating: Int.min, count: n)
            func touch(_ t: Int, _ step: Int) {
                let b = base(t)
                first[b] = min(first[b], step)
                last[b] = max(last[b], step)
            }
            for (s, op) in m.ops.enumerated() {
                for id in op.inputs where id >= 0 && m.tensors[Int(id)].storage == .arena { touch(Int(id), s) }
                for id in op.outputs { touch(Int(id), s) }
            }
            for id in m.graph.inputs { touch(Int(id), -1); touch(Int(id), m.ops.count) }
            for id in m.graph.outputs { touch(Int(id), m.ops.count) }
            // Elementwise in place: an op's output at its input's offset, the input dying there.
            var sameBuffer = Set<[Int]>()
            for (s, op) in m.ops.enumerated() {
                for i in op.inputs where i >= 0 {
                    for o in op.outputs where m.tensors[Int(i)].storage == .arena && m.tensors[Int(i)].offset == m.tensors[Int(o)].offset {
                        XCTAssertEqual(last[base(Int(i))], s, "\(name): '\(m.tensors[Int(o)].name)' overwrites '\(m.tensors[Int(i)].name)' before its last use")
                        sameBuffer.insert([base(Int(i)), base(Int(o))])
                        sameBuffer.insert([base(Int(o)), base(Int(i))])
                    }
                }
            }
            let arena = (0..<n).filter { m.tensors[$0].storage == .arena && base($0) == $0 && first[$0] != Int.max }
            for (k, a) in arena.enumerated() {
                let ta = m.tensors[a]
                XCTAssertLessThanOrEqual(ta.offset + ta.byteCount, m.graph.arenaBytes)
                for b in arena[(k + 1)...] where !sameBuffer.contains([a, b]) {
                    let tb = m.tensors[b]
                    let bytesOverlap = ta.offset < tb.offset + tb.byteCount && tb.offset < ta.offset + ta.byteCount
                    let timesOverlap = first[a] <= last[b] && first[b] <= last[a]
                    XCTAssertFalse(bytesOverlap && timesOverlap, "\(name): '\(ta.name)' and '\(tb.name)' share bytes while both live")
                }
            }
            XCTAssertGreaterThanOrEqual(m.graph.arenaBytes, m.graph.arenaLowerBound)
        }
    }

    /// Greedy-by-size reaches the lower bound on these chain-like networks; a regression
    /// in the planner shows up here as a ratio above 1.1.
    func testArenaIsCloseToItsLowerBound() throws {
        for (name, m) in try compiledModels() {
            let ratio = Double(m.graph.arenaBytes) / Double(max(1, m.graph.arenaLowerBound))
            XCTAssertLessThanOrEqual(ratio, 1.1, "\(name): arena \(m.graph.arenaBytes) vs lower bound \(m.graph.arenaLowerBound)")
        }
    }
}
