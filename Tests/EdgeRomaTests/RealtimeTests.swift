import CEdgeCpuLoad
import EdgeRoma
import EdgeRomaEval
import Foundation
import XCTest

/// `roma-eval --mode realtime`: the tiny scenario (10 frames at 5 fps, its second segment
/// under cpu_load 0.5) played against the wall clock with the detectors run for real.
final class RealtimeTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// A fast fixed detector keeps up at 5 fps even in a debug build: every frame is
    /// processed, each job starts no earlier than its frame's release and finishes after
    /// it starts, and the score is the streaming score of exactly those jobs.
    func testRealtimeRunProcessesEveryFrameOnTheWallClock() throws {
        let family = try DetectorFamily(manifest: Self.fixtures.appendingPathComponent("detectors/manifest.json").path)
        let scene = try Scenario(directory: Self.fixtures.appendingPathComponent("roma/tiny").path)
        let d = try XCTUnwrap(family.index(named: "det48-w6"))
        let t0 = Date()
        let r = try RealtimeRun(family: family, scenario: scene, speedup: 1, cpu: 0).run(.fixed(d))
        let wall = Date().timeIntervalSince(t0)
        XCTAssertGreaterThanOrEqual(wall, scene.timestamps.last!, "frames are released on the wall clock")
        XCTAssertEqual(r.stream.jobs.map(\.frame), Array(0..<scene.frameCount))
        for j in r.stream.jobs {
            XCTAssertEqual(j.detector, d)
            XCTAssertGreaterThanOrEqual(j.start + 1e-6, scene.timestamps[j.frame])
            XCTAssertGreaterThan(j.finish, j.start)
        }
        XCTAssertEqual(r.segmentRunMs.count, 2)
        XCTAssertNotNil(r.segmentRunMs[1])
        let rescored = try StreamScore.score(jobs: r.stream.jobs, timestamps: scene.timestamps, truth: scene.truth,
                                             segmentOfFrame: scene.segmentOfFrame, segmentNames: scene.segments.map(\.name),
                                             detectors: family.count) { job in try family.detections(job.detector, frame: job.frame, in: scene) }
        XCTAssertEqual(try XCTUnwrap(r.stream.sap50), try XCTUnwrap(rescored.sap50), accuracy: 1e-9)
        XCTAssertThrowsError(try RealtimeRun(family: family, scenario: scene, speedup: 1, cpu: 0).run(.oracle))
    }

    /// The competing load process spins for its share of each period and exits after its
    /// schedule: 0.5 of 0.6 s is about 0.3 s of CPU (bounds wide: the machine is shared).
    func testLoadProcessBurnsItsShare() throws {
        var before = rusage(), after = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)
        let t0 = edge_cpu_load_now_ns()
        let pid = edge_cpu_load_start(0, 1, [0.0], [0.6], [0.5], 0.01, 0, t0)
        XCTAssertGreaterThan(pid, 0)
        usleep(900_000)
        edge_cpu_load_stop(pid)
        getrusage(RUSAGE_CHILDREN.rawValue, &after)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        let cpu = seconds(after.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_utime) - seconds(before.ru_stime)
        XCTAssertGreaterThan(cpu, 0.1)
        XCTAssertLessThan(cpu, 0.45)
    }
}
