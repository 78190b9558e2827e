import EdgeClient
import EdgeFleet
import EdgeFleetControl
import Foundation
import XCTest

/// The aarch64 Embedded-Swift edged (Firmware/agent.mk links EdgeFleet, the libmosquitto
/// shim and arm64 libmosquitto) under qemu-aarch64, in a group with two host agents on the
/// test broker. Skipped when the device build is absent, unless EDGE_REQUIRE_DEVICE=1.
final class DeviceFleetTests: FleetTestCase {
    /// The device is the canary (first id): it fetches the chunks over MQTT, installs
    /// (signature, self-test under qemu), reports converged; then the host agents follow.
    /// Killed, the broker publishes its last will: offline.
    func testDeviceAgentJoinsBrokerAndConverges() throws { try converge(tls: false) }

    /// The same over a TLS-only broker: the device's libmosquitto (arm64, OpenSSL) verifies
    /// the test's self-signed certificate.
    func testDeviceAgentOverTLS() throws { try converge(tls: true) }

    func converge(tls: Bool) throws {
        let launcher = try deviceLauncher()
        let broker = try MosquittoBroker(dir: tmp.appendingPathComponent("broker"), tls: tls)
        let device = try startAgent(0, broker: broker, launcher: launcher)
        let hosts = try (1..<3).map { try startAgent($0, broker: broker) }
        for a in [device] + hosts { try AgentClient(address: a.address).push(AgentFixtures.artifact(dense, version: 1), key: key, activate: true) }
        try waitFleet(broker, seconds: 30, what: "3 online on dense") { v in
            v.devices.count == 3 && v.devices.values.allSatisfy { $0.online && $0.active == self.dense.name }
        }
        let report = try rollout(broker, AgentFixtures.artifact(pruned, version: 1), canary: 0.1, timeout: 120)
        XCTAssertEqual(report.outcome, .converged, "failed: \(report.failed) pending: \(report.pending)")
        XCTAssertEqual(report.canaries, ["dev-00"])
        XCTAssertEqual(report.converged.count, 3)
        let r = try AgentClient(address: device.address).infer(input())
        XCTAssertEqual(r.variant, pruned.name)
        XCTAssertLessThanOrEqual(AgentFixtures.maxDiff(try outputs(r), pruned.expected), 1e-4)
        let v = try waitFleet(broker, seconds: 10, what: "the device's report") { $0.devices["dev-00"]?.state == "converged" }
        let d = try XCTUnwrap(v.devices["dev-00"])
        XCTAssertEqual(d.previous, dense.name)
        XCTAssertGreaterThan(d.rssBytes, 0)
        device.kill()
        try waitFleet(broker, seconds: 20, what: "the device offline (last will)") { $0.devices["dev-00"]?.online == false }
        withExtendedLifetime(hosts) {}
        print("device fleet\(tls ? " (TLS)" : ""): converged in \(String(format: "%.1f", report.seconds)) s, device RSS under qemu \(d.rssBytes / 1024) KiB")
    }
}
