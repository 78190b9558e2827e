import EdgeClient
import EdgeFormat
import EdgeWire
import Foundation
import XCTest

final class LoopbackTests: AgentTestCase {
    /// Push, activate, infer: outputs equal the in-process interpreter's for that variant.
    func testPushActivateInferMatchesTheInterpreter() throws {
        XCTAssertGreaterThan(AgentFixtures.maxDiff(dense.expected, pruned.expected), 1e-3, "the two variants must differ")
        let agent = try AgentProcess(dir: tmp)
        let c = AgentClient(address: agent.address)
        assertRefused(.noActiveVariant, "infer before any push") { _ = try c.infer(input()) }
        XCTAssertTrue(try c.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true).contains("active"))
        try c.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: false, chunkBytes: 4096)
        var r = try c.infer(input())
        XCTAssertEqual(r.variant, dense.name)
        XCTAssertEqual(try outputs(r), dense.expected)
        try c.command(.activate(name: pruned.name), key: key)
        r = try c.infer(input(), zlib: true)
        XCTAssertEqual(r.variant, pruned.name)
        XCTAssertEqual(try outputs(r), pruned.expected)
        try c.command(.rollback, key: key)
        XCTAssertEqual(try c.infer(input()).variant, dense.name)
        let s = try c.status()
        XCTAssertEqual(s.active, dense.name)
        XCTAssertEqual(s.previous, pruned.name)
        XCTAssertEqual(s.variants.count, 2)
        XCTAssertEqual(s.switches, 2)
        XCTAssertEqual(s.failed, 1)  // the infer before any push

        // State survives a restart (kill -9 included).
        agent.kill()
        let again = try AgentProcess(dir: tmp)
        let r2 = try AgentClient(address: again.address).infer(input())
        XCTAssertEqual(r2.variant, dense.name)
        XCTAssertEqual(try outputs(r2), dense.expected)
    }
}
