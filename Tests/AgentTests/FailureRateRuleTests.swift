@testable import EdgeFleetControl
import XCTest

/// The controller's failure-rate rule on its own (no broker): a canary counts as failed
/// when its request failure rate during the observation window exceeds the rate it had
/// before the rollout by more than `maxFailureRateRise`. The end-to-end fleet tests halt
/// through self-tests and first-run rollbacks; a variant that passes its first request and
/// fails later is caught only by this rule.
final class FailureRateRuleTests: XCTestCase {
    func status(served: UInt64, failed: UInt64) -> DeviceStatus {
        var s = DeviceStatus(id: "dev-00", group: "g")
        s.served = served
        s.failedRequests = failed
        return s
    }

    func testRiseAboveTheThresholdFailsTheCanary() {
        var o = RolloutOptions()
        o.maxFailureRateRise = 0.05
        let r = FleetRollout(broker: BrokerOptions(host: "127.0.0.1", port: 1), group: "g", secretKey: [], options: o)
        let before = status(served: 100, failed: 1)        // 1% before the rollout
        let start = status(served: 200, failed: 2)
        // 10 of 100 requests failed while observed: 10% > 1% + 5%.
        let why = r.rateRise("dev-00", before: before, start: start, now: status(served: 290, failed: 12))
        XCTAssertNotNil(why)
        XCTAssertTrue(why?.contains("rose from 1.0% to 10.0%") ?? false, why ?? "")
        // 5 of 100: 5% is within 1% + 5%.
        XCTAssertNil(r.rateRise("dev-00", before: before, start: start, now: status(served: 295, failed: 7)))
        // Nothing served while observed: no verdict.
        XCTAssertNil(r.rateRise("dev-00", before: before, start: start, now: start))
        // Counters that went backwards (an agent restarted): no verdict rather than a trap.
        XCTAssertNil(r.rateRise("dev-00", before: before, start: start, now: status(served: 3, failed: 0)))
    }
}
