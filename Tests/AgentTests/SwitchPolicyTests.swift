@testable import EdgeAgent
import EdgeWire
import XCTest

/// The policy's latency window and its prediction for other variants, without an agent.
final class SwitchPolicyTests: XCTestCase {
    func window(waitMs: Double, servingMs: Double, count: Int = 64) -> LatencyWindow {
        var w = LatencyWindow()
        for _ in 0..<count { w.add(waitNs: UInt64(waitMs * 1e6), servingNs: UInt64(servingMs * 1e6)) }
        return w
    }

    func testWindowKeepsTheLast64AndScalesOnlyTheServingPart() {
        var w = window(waitMs: 1, servingMs: 2)
        XCTAssertEqual(w.count, 64)
        XCTAssertEqual(w.p95Ms(), 3, accuracy: 1e-9)
        XCTAssertEqual(w.p95Ms(scale: 0.5), 2, accuracy: 1e-9)
        XCTAssertEqual(w.p95Ms(scale: 3), 7, accuracy: 1e-9)
        for _ in 0..<64 { w.add(waitNs: 0, servingNs: 10_000_000) }   // the old ones roll out
        XCTAssertEqual(w.count, 64)
        XCTAssertEqual(w.p95Ms(), 10, accuracy: 1e-9)
        w.clear()
        XCTAssertEqual(w.count, 0)
        XCTAssertEqual(w.p95Ms(), 0)
    }

    let spec = PolicySpec(variants: [PolicyVariant(name: "big", accuracy: 0.98, latencyMs: 10),
                                     PolicyVariant(name: "mid", accuracy: 0.95, latencyMs: 6),
                                     PolicyVariant(name: "small", accuracy: 0.70, latencyMs: 2)], budgetMs: 20)
    let all: (String) -> Bool = { _ in true }

    func testOverloadOnTheBigVariantStepsDownToOneThatFits() {
        // 60 ms serving (queued behind other runs): mid would serve in 36 ms, small in 12.
        let p = SwitchPolicy(spec: spec)
        XCTAssertEqual(p.decide(current: "big", window: window(waitMs: 0, servingMs: 60), sinceSwitchMs: 1000, installed: all), "small")
        // 8 ms of CPU wait + 14 ms serving: mid predicted 8 + 8.4, fits.
        XCTAssertEqual(p.decide(current: "big", window: window(waitMs: 8, servingMs: 14), sinceSwitchMs: 1000, installed: all), "mid")
        // Hysteresis: not within 0.5 s of the last switch; not on too few samples.
        XCTAssertNil(p.decide(current: "big", window: window(waitMs: 0, servingMs: 60), sinceSwitchMs: 100, installed: all))
        XCTAssertNil(p.decide(current: "big", window: window(waitMs: 0, servingMs: 60, count: 8), sinceSwitchMs: 1000, installed: all))
    }

    func testCpuWaitDoesNotScaleSoTheFastVariantCanStepBackUp() {
        // On small: 5 ms waiting for a CPU + 2 ms run. Big predicted 5 + 10 = 15 ms,
        // within 80% of the budget (16 ms); scaling all 7 ms by 5 would say 35 ms.
        let p = SwitchPolicy(spec: spec)
        XCTAssertEqual(p.decide(current: "small", window: window(waitMs: 5, servingMs: 2), sinceSwitchMs: 3000, installed: all), "big")
        // Not before 2 s on the variant, nor without the 20% headroom, nor if not installed.
        XCTAssertNil(p.decide(current: "small", window: window(waitMs: 5, servingMs: 2), sinceSwitchMs: 1000, installed: all))
        XCTAssertEqual(p.decide(current: "small", window: window(waitMs: 8, servingMs: 2), sinceSwitchMs: 3000, installed: all), "mid")
        XCTAssertEqual(p.decide(current: "small", window: window(waitMs: 5, servingMs: 2), sinceSwitchMs: 3000,
                                installed: { $0 != "big" }), "mid")
        // Within the budget and no room above: stay.
        XCTAssertNil(p.decide(current: "big", window: window(waitMs: 2, servingMs: 10), sinceSwitchMs: 3000, installed: all))
    }

    func testAStepUpThatFailsDoublesTheHoldAndOneThatHoldsHalvesIt() {
        var p = SwitchPolicy(spec: spec)
        let roomy = window(waitMs: 5, servingMs: 2)
        XCTAssertEqual(p.upHoldMs, 2000)
        p.switched(from: "small", to: "big", nowMs: 10_000)
        p.switched(from: "big", to: "small", nowMs: 11_000)    // failed within 5 s
        XCTAssertEqual(p.upHoldMs, 4000)
        XCTAssertNil(p.decide(current: "small", window: roomy, sinceSwitchMs: 3000, installed: all))
        XCTAssertEqual(p.decide(current: "small", window: roomy, sinceSwitchMs: 4000, installed: all), "big")
        for k in 0..<10 {   // it keeps failing: capped
            p.switched(from: "small", to: "big", nowMs: 20_000 + Double(k) * 2000)
            p.switched(from: "big", to: "small", nowMs: 21_000 + Double(k) * 2000)
        }
        XCTAssertEqual(p.upHoldMs, SwitchPolicy.maxUpHoldMs)
        p.switched(from: "small", to: "big", nowMs: 100_000)
        p.tick(nowMs: 104_000)
        XCTAssertEqual(p.upHoldMs, SwitchPolicy.maxUpHoldMs, "not held 5 s yet")
        p.tick(nowMs: 105_000)
        XCTAssertEqual(p.upHoldMs, SwitchPolicy.maxUpHoldMs / 2)
        // A step down long after a step up (conditions changed) is no failed step up.
        p.switched(from: "small", to: "big", nowMs: 200_000)
        p.tick(nowMs: 206_000)
        p.switched(from: "big", to: "small", nowMs: 230_000)
        XCTAssertEqual(p.upHoldMs, SwitchPolicy.maxUpHoldMs / 4)
    }
}
