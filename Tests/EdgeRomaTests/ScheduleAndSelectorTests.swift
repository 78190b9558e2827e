import EdgeRoma
import XCTest

final class ScheduleAndSelectorTests: XCTestCase {
    func testNextStart() {
        let ts = [0.0, 1.0, 2.0, 3.0]
        // free before anything new arrived: wait for the next frame
        XCTAssertEqual(StreamSchedule.nextStart(freeAt: 0.5, lastStarted: 0, timestamps: ts)!.frame, 1)
        XCTAssertEqual(StreamSchedule.nextStart(freeAt: 0.5, lastStarted: 0, timestamps: ts)!.start, 1.0)
        // busy past two arrivals: take the newest, now; frame 1 is skipped
        let s = StreamSchedule.nextStart(freeAt: 2.5, lastStarted: 0, timestamps: ts)!
        XCTAssertEqual(s.frame, 2)
        XCTAssertEqual(s.start, 2.5)
        // a frame arriving exactly when the detector becomes free counts as arrived
        XCTAssertEqual(StreamSchedule.nextStart(freeAt: 3.0, lastStarted: 2, timestamps: ts)!.frame, 3)
        XCTAssertNil(StreamSchedule.nextStart(freeAt: 3.5, lastStarted: 3, timestamps: ts))
    }

    /// Latency within a frame: every frame is judged against the previous frame's output.
    /// Latency of exactly two frames: frame 2m finishes at 2m + 2, so frame k sees frame
    /// 2 floor(k/2) - 2: ages alternate 2, 3, mean 2.5.
    func testMeanStaleness() {
        XCTAssertEqual(StreamSchedule.meanStaleness(latency: 10, interval: 33), 1, accuracy: 1e-12)
        XCTAssertEqual(StreamSchedule.meanStaleness(latency: 33, interval: 33), 1, accuracy: 1e-12)
        XCTAssertEqual(StreamSchedule.meanStaleness(latency: 2, interval: 1), 2.5, accuracy: 1e-12)
        XCTAssertGreaterThan(StreamSchedule.meanStaleness(latency: 5, interval: 1), StreamSchedule.meanStaleness(latency: 3, interval: 1))
    }

    func testDecoderFindsPeakAndSkipsNeighbours() {
        // 3x3 cells on a 24x24 frame (cell 8 px); a peak at row 1, col 2 and a weaker
        // neighbour at row 1, col 1 that the 3x3 max suppresses; one far-below-threshold cell.
        let rows = 3, cols = 3, plane = 9
        var maps = [Float](repeating: -10, count: 5 * plane)
        maps[1 * cols + 2] = 2            // score 0.88
        maps[1 * cols + 1] = 1            // score 0.73, suppressed
        for i in 0..<plane { maps[3 * plane + i] = 0; maps[4 * plane + i] = 0 }   // 1 cell wide
        maps[plane + 5] = 0.5                    // dx
        maps[2 * plane + 5] = 0.25               // dy
        maps[3 * plane + 5] = Float(log(2.0))    // 2 cells wide
        let d = maps.withUnsafeBufferPointer { DetectionDecoder(frameWidth: 24, frameHeight: 24).decode($0, rows: rows, cols: cols) }
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d[0].score, 1 / (1 + expf(-2)), accuracy: 1e-6)
        // centre (2.5 * 8, 1.25 * 8) = (20, 10); 16 x 8 -> clipped to x1 = 24
        XCTAssertEqual(d[0].box.x0, 12, accuracy: 1e-4)
        XCTAssertEqual(d[0].box.x1, 24, accuracy: 1e-4)
        XCTAssertEqual(d[0].box.y0, 6, accuracy: 1e-4)
        XCTAssertEqual(d[0].box.y1, 14, accuracy: 1e-4)
    }

    func testObserverSizesAndSpeed() {
        var o = SceneObserver(bins: SizeBins(edges: [12, 24, 48]))
        let recall: [Float] = [0.5, 1, 1, 1]
        o.observe([Detection(Box(0, 0, 8, 8), score: 0.9), Detection(Box(50, 50, 80, 80), score: 0.9)], frame: 0, recall: recall)
        // the small one (8 px) counts double (recall 0.5): shares 2/3 and 1/3 (30 px: bin 2)
        XCTAssertEqual(o.sizeShare[0], 2.0 / 3.0, accuracy: 1e-6)
        XCTAssertEqual(o.sizeShare[2], 1.0 / 3.0, accuracy: 1e-6)
        // two frames later the large one moved 6 px right, 8 px down: 10 px / 2 frames
        o.observe([Detection(Box(56, 58, 86, 88), score: 0.9)], frame: 2, recall: recall)
        XCTAssertEqual(o.speedBySize[2], 5, accuracy: 1e-5)
        XCTAssertEqual(o.speedBySize[0], 5, accuracy: 1e-5)   // no sample: the overall mean
    }

    /// A still object whose detected centre jitters by 2 px between outputs: measured from
    /// the track's start, its speed stays far below the 2-4 px a frame-to-frame estimate
    /// gives; an object moving 3 px a frame is measured at 3 px.
    func testTrackSpeedIgnoresJitterButSeesMotion() {
        var still = SceneObserver(bins: SizeBins(edges: [12, 24, 48]))
        var moving = SceneObserver(bins: SizeBins(edges: [12, 24, 48]))
        let recall: [Float] = [1, 1, 1, 1]
        for f in 0..<40 {
            let j: Float = f % 2 == 0 ? -1 : 1
            still.observe([Detection(Box(40 + j, 40 - j, 60 + j, 60 - j), score: 0.9)], frame: f, recall: recall)
            let x = Float(3 * f)
            moving.observe([Detection(Box(x, 40, x + 20, 60), score: 0.9)], frame: f, recall: recall)
        }
        XCTAssertLessThan(still.speedBySize[1], 0.4)
        XCTAssertEqual(moving.speedBySize[1], 3, accuracy: 1e-3)
    }

    /// Two detectors: "small" is fast and fine on large objects, blind to small ones;
    /// "big" sees small objects but is slow, and slow outputs go stale when objects move.
    func profiles() -> [DetectorProfile] {
        [DetectorProfile(name: "small", ap50: 0.4, ap50BySize: [0.0, 0.2, 0.6, 0.8], recallBySize: [0.05, 0.3, 0.7, 0.9],
                         betaBySize: [0.3, 0.2, 0.1, 0.05], latencyMedianMs: 5, latencyP90Ms: 6),
         DetectorProfile(name: "big", ap50: 0.6, ap50BySize: [0.5, 0.6, 0.7, 0.8], recallBySize: [0.6, 0.7, 0.8, 0.9],
                         betaBySize: [0.3, 0.2, 0.1, 0.05], latencyMedianMs: 100, latencyP90Ms: 120)]
    }

    func testSelectorPrefersBigForSmallStillObjectsAndSmallForFastLargeOnes() {
        let bins = SizeBins(edges: [12, 24, 48])
        var s = RomaSelector(profiles: profiles(), bins: bins, initial: 1)
        for f in 0..<10 {
            _ = s.observe([Detection(Box(10, 10, 18, 18), score: 0.9), Detection(Box(40, 40, 46, 46), score: 0.8)],
                          by: s.current, frame: f * 3, latencyMs: 100, intervalMs: 33)
        }
        XCTAssertEqual(s.current, 1)
        XCTAssertEqual(s.switches, 0)
        // large objects racing at 8 px per frame: the slow detector's outputs are ~4 frames stale
        var x: Float = 0
        var picks: [Int] = []
        for f in 10..<40 {
            x += 24
            // each detector runs at its profiled latency (no contention)
            let ms: Double = s.current == 0 ? 5 : 100
            picks.append(s.observe([Detection(Box(x, 10, x + 60, 70), score: 0.9)], by: s.current, frame: f * 3, latencyMs: ms, intervalMs: 33))
        }
        XCTAssertEqual(s.current, 0)
        XCTAssertEqual(s.switches, 1)
        // hysteresis: not on the very first output that favours the switch
        XCTAssertEqual(picks[0], 1)
    }

    /// While a switch is in flight (outputs still come from the old detector) the selector
    /// keeps its choice and takes no new decision; `follow` adopts a detector someone else
    /// activated without counting a switch.
    func testSelectorWaitsForAnAsynchronousSwapAndFollows() {
        let bins = SizeBins(edges: [12, 24, 48])
        var s = RomaSelector(profiles: profiles(), bins: bins, initial: 1)
        var x: Float = 0
        var f = 0
        while s.current == 1 && f < 60 {
            x += 24
            _ = s.observe([Detection(Box(x, 10, x + 60, 70), score: 0.9)], by: 1, frame: f * 3, latencyMs: 100, intervalMs: 33)
            f += 1
        }
        XCTAssertEqual(s.current, 0, "fast large objects: the fast detector")
        // the swap has not happened yet: the big detector's outputs keep coming, small objects now
        for g in 0..<20 {
            XCTAssertEqual(s.observe([Detection(Box(10, 10, 16, 16), score: 0.9)], by: 1, frame: (f + g) * 3, latencyMs: 100, intervalMs: 33), 0)
        }
        XCTAssertEqual(s.switches, 1)
        s.follow(1)
        XCTAssertEqual(s.current, 1)
        XCTAssertEqual(s.switches, 1)
    }

    func testContentionMakesLatencyPolicyStepDown() {
        var l = LatencyOnlySelector(profiles: profiles(), initial: 1)
        XCTAssertEqual(l.observe(latencyMs: 100, intervalMs: 200), 1)   // keeps up: most accurate
        for _ in 0..<10 { _ = l.observe(latencyMs: 300, intervalMs: 200) }
        XCTAssertEqual(l.current, 0)
        XCTAssertEqual(l.switches, 1)
    }
}
