import CEdgeAgentSupport
import CEdgeSupport
import Foundation
import XCTest

/// The kernel receive timestamp the agent's request latency starts from
/// (edge_read_exact_stamped, Formats/WIRE.md "Request latency"): a frame that waited in
/// the socket before it was read is stamped when it arrived, not when it was read.
final class ReceiveTimestampTests: XCTestCase {
    func testStampIsWhenTheBytesArrivedNotWhenTheyWereRead() throws {
        let l = edge_tcp_listen("127.0.0.1", 0, 4)
        XCTAssertGreaterThanOrEqual(l, 0)
        defer { edge_close(l) }
        let client = edge_tcp_connect("127.0.0.1", edge_tcp_port(l), 2000)
        XCTAssertGreaterThanOrEqual(client, 0)
        defer { edge_close(client) }
        let server = edge_tcp_accept(l, 2000)   // enables SO_TIMESTAMPNS
        XCTAssertGreaterThanOrEqual(server, 0)
        defer { edge_close(server) }

        // Linux turns receive stamping on lazily (a deferred switch, the first time a socket
        // asks): until then segments carry no stamp and the read's time stands in. Wait
        // for the first stamped frame (bounded), then check three more.
        var warm = false
        for _ in 0..<40 where !warm {
            let t = try roundTrip(client, server)
            warm = t.stamp < t.beforeRead
        }
        XCTAssertTrue(warm, "no frame was stamped before it was read")
        for round in 0..<3 {
            let t = try roundTrip(client, server)
            // Ordering only (no speed): the bytes arrived after the write began and before
            // the read that found them; the 50 ms wait is on the stamp's side of the read.
            XCTAssertGreaterThanOrEqual(t.stamp, t.beforeWrite, "round \(round)")
            XCTAssertLessThanOrEqual(t.stamp, t.beforeRead, "round \(round): stamped at the read, not at arrival")
        }
    }

    /// Writes 8 bytes, lets them wait 50 ms in the socket, reads them in two parts.
    func roundTrip(_ client: Int32, _ server: Int32) throws -> (beforeWrite: UInt64, beforeRead: UInt64, stamp: UInt64) {
        let beforeWrite = edge_now_ns()
        let bytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        XCTAssertEqual(bytes.withUnsafeBytes { edge_write_exact(client, $0.baseAddress, 8, 2000) }, 0)
        usleep(50_000)   // the frame waits in the socket, as behind a busy CPU
        let beforeRead = edge_now_ns()
        var got = [UInt8](repeating: 0, count: 8)
        var stamp: UInt64 = 0
        // In two reads: the stamp is of the first bytes of the frame.
        XCTAssertEqual(got.withUnsafeMutableBytes { edge_read_exact_stamped(server, $0.baseAddress, 3, 2000, &stamp) }, 3)
        var second: UInt64 = 0
        XCTAssertEqual(got.withUnsafeMutableBytes { edge_read_exact_stamped(server, $0.baseAddress! + 3, 5, 2000, &second) }, 5)
        XCTAssertEqual(got, bytes)
        return (beforeWrite, beforeRead, stamp)
    }

    func testPlainReadStillReadsAndCloseIsReported() throws {
        let l = edge_tcp_listen("127.0.0.1", 0, 4)
        defer { edge_close(l) }
        let client = edge_tcp_connect("127.0.0.1", edge_tcp_port(l), 2000)
        let server = edge_tcp_accept(l, 2000)
        defer { edge_close(server) }
        let bytes: [UInt8] = [9, 8, 7]
        XCTAssertEqual(bytes.withUnsafeBytes { edge_write_exact(client, $0.baseAddress, 3, 2000) }, 0)
        var got = [UInt8](repeating: 0, count: 3)
        XCTAssertEqual(got.withUnsafeMutableBytes { edge_read_exact(server, $0.baseAddress, 3, 2000) }, 3)
        XCTAssertEqual(got, bytes)
        edge_close(client)
        var stamp: UInt64 = 0
        XCTAssertEqual(got.withUnsafeMutableBytes { edge_read_exact_stamped(server, $0.baseAddress, 3, 2000, &stamp) }, 0,
                       "peer closed before the first byte")
    }

    func testRealtimeStampConversion() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let real = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        let mono = edge_now_ns()
        // A stamp one second old is one second before the monotonic now.
        let converted = edge_rx_monotonic_ns(real - 1_000_000_000)
        XCTAssertLessThanOrEqual(converted, mono - 1_000_000_000 + 200_000_000)
        XCTAssertGreaterThanOrEqual(converted, mono - 1_000_000_000 - 1_000_000)
        // No stamp, or one from the future (the wall clock stepped back): now.
        XCTAssertGreaterThanOrEqual(edge_rx_monotonic_ns(0), mono)
        XCTAssertGreaterThanOrEqual(edge_rx_monotonic_ns(real + 3_600_000_000_000), mono)
    }
}
