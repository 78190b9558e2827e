import EdgeClient
import EdgeWire
import Foundation
import XCTest

final class CrashSafetyTests: AgentTestCase {
    /// kill -9 at random moments of pushes and activations (40 points, bounded to 45 s):
    /// after every restart the active variant is one of the installed ones, it serves
    /// its own outputs, and no partial file remains in the store.
    func testKillNineDuringPushAndActivate() throws {
        var agent: AgentProcess? = try AgentProcess(dir: tmp)
        let c0 = AgentClient(address: agent!.address)
        try c0.push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true)
        try c0.push(AgentFixtures.artifact(pruned, version: 1), key: key, activate: false)
        var version: [String: UInt64] = [dense.name: 1, pruned.name: 1]
        let expected = [dense.name: dense.expected, pruned.name: pruned.expected]
        var rng = SystemRandomNumberGenerator()
        let deadline = Date().addingTimeInterval(45)
        var points = 0
        var interruptedPushes = 0
        while points < 40 && Date() < deadline {
            let a = agent!
            let c = AgentClient(address: a.address)
            let s = try c.status()
            // The state after the previous kill: consistent, serving, nothing partial.
            let active = s.active
            XCTAssertTrue(expected[active] != nil, "after kill \(points): active '\(active)'")
            let r = try c.infer(input())
            XCTAssertEqual(r.variant, active)
            XCTAssertLessThanOrEqual(AgentFixtures.maxDiff(try outputs(r), expected[active]!), 1e-5, "after kill \(points)")
            let files = try FileManager.default.contentsOfDirectory(atPath: tmp.appendingPathComponent("store/variants").path)
            XCTAssertEqual(files.count, s.variants.count, "store files \(files) vs catalog \(s.variants.map(\.name))")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.appendingPathComponent("store/tmp").path), [])
            for v in s.variants { version[v.name] = max(version[v.name] ?? 0, v.version) }

            // An operation, interrupted at a random moment.
            let doPush = Bool.random(using: &rng)
            let target = Bool.random(using: &rng) ? dense : pruned
            let art = doPush ? AgentFixtures.artifact(target, version: version[target.name]! + 1) : []
            let finished = DispatchSemaphore(value: 0)
            var completed = false
            Thread.detachNewThread {
                do {
                    if doPush {
                        try c.push(art, key: self.key, activate: Bool.random(), chunkBytes: 8192)
                    } else {
                        try c.command(.activate(name: target.name), key: self.key)
                    }
                    completed = true
                } catch {}
                finished.signal()
            }
            usleep(UInt32.random(in: 0...(doPush ? 12_000 : 6_000), using: &rng))
            a.kill()
            finished.wait()
            if doPush && !completed { interruptedPushes += 1 }
            points += 1
            agent = nil
            agent = try AgentProcess(dir: tmp)
        }
        // The state after the last kill.
        let last = AgentClient(address: agent!.address)
        let final = try last.status()
        XCTAssertEqual(try last.infer(input()).variant, final.active)
        XCTAssertGreaterThanOrEqual(points, 20)
        print("kill -9: \(points) points, \(interruptedPushes) pushes interrupted before their reply")
    }
}
