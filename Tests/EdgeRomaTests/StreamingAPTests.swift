import EdgeRoma
import EdgeRomaEval
import XCTest

/// Streaming AP against cases small enough to work out by hand.
final class StreamingAPTests: XCTestCase {
    func box(_ x: Float, _ y: Float, _ s: Float = 10) -> Box { Box(x, y, x + s, y + s) }

    func testIoU() {
        XCTAssertEqual(box(0, 0).iou(box(0, 0)), 1)
        XCTAssertEqual(box(0, 0).iou(box(10, 0)), 0)            // touching edges
        // 10x10 boxes shifted by 5: intersection 50, union 150
        XCTAssertEqual(box(0, 0).iou(box(5, 0)), 50.0 / 150.0, accuracy: 1e-6)
        XCTAssertEqual(Box(0, 0, 0, 5).iou(box(0, 0)), 0)       // empty box
    }

    /// Two ground truths; detections 0.9 (hit), 0.8 (miss), 0.7 (hit):
    /// recall 0.5, 0.5, 1; precision 1, 0.5, 2/3; envelope 1, 2/3, 2/3.
    /// Recall levels 0...0.5 (51 of them) see precision 1, the 50 above see 2/3.
    func testAPByHand() {
        var acc = APAccumulator(threshold: 0.5)
        acc.add([Detection(box(0, 0), score: 0.9), Detection(box(50, 50), score: 0.8), Detection(box(21, 20), score: 0.7)],
                truth: [box(0, 0), box(20, 20)])
        XCTAssertEqual(acc.averagePrecision!, (51 + 50 * 2.0 / 3.0) / 101, accuracy: 1e-9)
    }

    func testAPUndefinedWithoutGroundTruthAndZeroWhenAllMissed() {
        var none = APAccumulator(threshold: 0.5)
        none.add([Detection(box(0, 0), score: 0.9)], truth: [])
        XCTAssertNil(none.averagePrecision)
        var missed = APAccumulator(threshold: 0.5)
        missed.add([], truth: [box(0, 0)])
        XCTAssertEqual(missed.averagePrecision, 0)
    }

    /// A ground truth is matched once: the second, lower-scored duplicate is a false
    /// positive. AP = 1 (recall 1 is reached at precision 1 before the duplicate).
    func testDuplicateIsFalsePositiveButDoesNotLowerAP() {
        var acc = APAccumulator(threshold: 0.5)
        acc.add([Detection(box(1, 0), score: 0.6), Detection(box(0, 0), score: 0.9)], truth: [box(0, 0)])
        XCTAssertEqual(acc.averagePrecision!, 1, accuracy: 1e-12)
        // the duplicate scored higher than the true hit: precision 0.5 at recall 1
        var worse = APAccumulator(threshold: 0.5)
        worse.add([Detection(box(0, 0), score: 0.6), Detection(box(60, 0), score: 0.9)], truth: [box(0, 0)])
        XCTAssertEqual(worse.averagePrecision!, 0.5, accuracy: 1e-12)
    }

    /// mAP: a detection at IoU 50/150 ... here a box shifted by 1 px of 10: IoU 90/110 = 0.818,
    /// a hit at thresholds 0.5...0.8 (7 of 10), a miss above: mAP = 0.7.
    func testMAPOverThresholds() {
        var set = APSet()
        set.add([Detection(box(1, 0), score: 0.9)], truth: [box(0, 0)])
        XCTAssertEqual(set.ap50!, 1, accuracy: 1e-12)
        XCTAssertEqual(set.map!, 0.7, accuracy: 1e-12)
    }

    /// Frames at 0, 0.1, 0.2, 0.3 s, one object at x = 0, 10, 20, 30. Job A ran on frame 0
    /// and finished at 0.15 (frames 0 and 1 have no output yet: misses); job B on frame 2
    /// finished exactly at 0.3 (counts for frame 3). Frame 2 sees A's frame-0 box, 20 px
    /// off a 20 px object: a miss and a false positive; B's box sits on frame 3's object:
    /// a hit. With 4 ground truths, B (0.8, hit) comes first: recall 0.25 at precision 1,
    /// so AP = 26/101 (levels 0...0.25). Segment b alone: 2 ground truths, recall 0.5,
    /// AP = 51/101.
    func testStreamingUsesNewestFinishedOutput() throws {
        let timestamps = [0.0, 0.1, 0.2, 0.3]
        let truth = (0..<4).map { [Box(Float($0) * 10, 0, Float($0) * 10 + 20, 20)] }
        let jobs = [Job(detector: 0, frame: 0, start: 0, finish: 0.15), Job(detector: 1, frame: 2, start: 0.2, finish: 0.3)]
        let outputs: [Int: [Detection]] = [0: [Detection(Box(0, 0, 20, 20), score: 0.7)],
                                           2: [Detection(Box(30, 0, 50, 20), score: 0.8)]]
        let r = try StreamScore.score(jobs: jobs, timestamps: timestamps, truth: truth, segmentOfFrame: [0, 0, 1, 1],
                                      segmentNames: ["a", "b"], detectors: 2) { outputs[$0.frame]! }
        XCTAssertEqual(r.servedBy, [-1, -1, 0, 1])
        XCTAssertEqual(r.sap50!, 26.0 / 101.0, accuracy: 1e-9)
        XCTAssertEqual(r.segments[0].sap50!, 0, accuracy: 1e-12)      // two misses, no detections
        XCTAssertEqual(r.segments[1].sap50!, 51.0 / 101.0, accuracy: 1e-9)
        XCTAssertEqual(r.segments[1].detectorShare, [0, 1])
    }
}
