import EdgeCompiler
import EdgeFormat
import Foundation
import XCTest

/// The compiler's channel analysis on a graph before activation fusion, as `edgec prune` uses it.
final class ChannelGroupsTests: XCTestCase {
    func graph(_ relative: String) throws -> Graph {
        var notes: [String] = []
        return try ChannelGroups.prepare(try OnnxReader.read(path: Fixtures.path(relative)), notes: &notes)
    }

    func testStandaloneReluPassesChannelsThrough() throws {
        let g = try graph("portfolio/digits_imp_00.onnx")
        XCTAssertTrue(g.nodes.contains { $0.opType == "Relu" })
        let groups = ChannelGroups(g)
        let conv = try XCTUnwrap(g.nodes.first { $0.name == "/conv1/Conv" })
        let relu = try XCTUnwrap(g.nodes.first { $0.opType == "Relu" && $0.inputs[0] == conv.outputs[0] })
        let space = try XCTUnwrap(groups.space(of: relu.outputs[0]))
        XCTAssertEqual(space.count, 16)
        for c in 0..<16 {
            XCTAssertEqual(groups.group(conv.outputs[0], c), groups.group(relu.outputs[0], c))
            XCTAssertNil(groups.pinReason(groups.group(conv.outputs[0], c)))
        }
        // The logits are a graph output: pinned.
        let fc = try XCTUnwrap(g.nodes.first { $0.opType == "Gemm" })
        XCTAssertNotNil(groups.pinReason(groups.group(fc.outputs[0], 0)))
    }

    func testRemovingChosenGroupsSlicesEveryConsumer() throws {
        let g = try graph("pruning/resnet_basic/model.onnx")
        let groups = ChannelGroups(g)
        let stem = try XCTUnwrap(g.nodes.first { $0.opType == "Conv" })
        let chosen: Set<Int> = [groups.group(stem.outputs[0], 0), groups.group(stem.outputs[0], 3)]
        let removed = try groups.remove(chosen)
        XCTAssertEqual(removed, chosen)
        let w = try XCTUnwrap(g.constants[g.nodes.first { $0.name == stem.name }!.inputs[1]])
        XCTAssertEqual(w.shape[0], try XCTUnwrap(groups.space(of: stem.outputs[0])).count - 2)
        // A second removal on the same analysis is refused, not silently wrong.
        XCTAssertThrowsError(try groups.remove(chosen))
    }

    func testPinnedGroupsAreNotRemoved() throws {
        let g = try graph("portfolio/digits_imp_00.onnx")
        let groups = ChannelGroups(g)
        let fc = try XCTUnwrap(g.nodes.first { $0.opType == "Gemm" })
        let removed = try groups.remove([groups.group(fc.outputs[0], 0)])
        XCTAssertTrue(removed.isEmpty)
        XCTAssertEqual(g.shapes[fc.outputs[0]], [1, 10])
    }
}
