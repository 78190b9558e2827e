import EdgeFleet
import Foundation

/// One device as the broker's retained messages describe it.
public struct DeviceStatus {
    public var id: String
    public var group: String
    public var online: Bool
    public var active: String
    public var version: UInt64
    public var previous: String
    public var seq: UInt64
    public var state: String
    public var lastError: String
    public var served: UInt64
    public var failedRequests: UInt64
    public var rejected: UInt64
    public var rssBytes: Int64

    public var failed: Bool { state == "failed" }

    init(id: String, group: String) {
        self.id = id
        self.group = group
        online = false; active = ""; version = 0; previous = ""; seq = 0; state = "unknown"; lastError = ""
        served = 0; failedRequests = 0; rejected = 0; rssBytes = 0
    }

    mutating func update(reported json: [String: Any]) {
        func u(_ k: String) -> UInt64 { (json[k] as? NSNumber)?.uint64Value ?? 0 }
        func s(_ k: String) -> String { json[k] as? String ?? "" }
        active = s("active"); version = u("version"); previous = s("previous"); seq = u("seq")
        state = s("state"); lastError = s("last_error"); served = u("served"); failedRequests = u("failed_requests")
        rejected = u("rejected"); rssBytes = (json["rss_bytes"] as? NSNumber)?.int64Value ?? 0
    }

    public var json: [String: Any] {
        ["id": id, "group": group, "online": online, "active": active, "version": version, "failed": failed,
         "last_error": lastError, "previous": previous, "seq": seq, "state": state, "served": served,
         "failed_requests": failedRequests, "rejected": rejected, "rss_bytes": rssBytes]
    }
}

/// The group as seen on the broker: retained reported and online topics, and the
/// retained desired state. Kept current by feeding it the client's events.
public final class FleetView {
    public let group: String
    public private(set) var devices: [String: DeviceStatus] = [:]
    public private(set) var desiredPayload: [UInt8]? = nil
    /// Set once the broker accepted the connection; a refusal code otherwise.
    public private(set) var connack: Int32? = nil

    public init(group: String) { self.group = group }

    public static func subscribe(_ c: MqttClient, group: String) {
        c.subscribe(Topics.reportedAll(group))
        c.subscribe(Topics.onlineAll(group))
        c.subscribe(Topics.desired(group))
    }

    /// Returns true if the event changed something.
    @discardableResult
    public func handle(_ e: MqttClient.Event, client: MqttClient) -> Bool {
        switch e {
        case .connected(let rc):
            connack = rc
            if rc == 0 { FleetView.subscribe(client, group: group) }
            return true
        case .message(let topic, let payload, _):
            if topic == Topics.desired(group) { desiredPayload = payload; return true }
            let id = Topics.lastLevel(topic)
            guard Topics.validId(id) else { return false }
            if topic == Topics.reported(group, id) {
                guard let obj = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return false }
                devices[id, default: DeviceStatus(id: id, group: group)].update(reported: obj)
                return true
            }
            if topic == Topics.online(group, id) {
                devices[id, default: DeviceStatus(id: id, group: group)].online = payload == [49]
                return true
            }
            return false
        default:
            return false
        }
    }

    /// Drains events for `seconds`, or until `until` holds (checked after each event).
    public func pump(_ c: MqttClient, seconds: Double, until: (() -> Bool)? = nil) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            let ms = Int32(max(1, min(100, end.timeIntervalSinceNow * 1000)))
            handle(c.next(timeoutMs: ms), client: c)
            if let u = until, u() { return }
        }
    }

    /// Connects, subscribes and reads the retained state until it stops changing
    /// (300 ms without news, at most `seconds`).
    public func load(_ c: MqttClient, seconds: Double) throws {
        let end = Date().addingTimeInterval(seconds)
        var quietSince = Date()
        while Date() < end {
            // Only retained messages are the stored state; live reports keep coming.
            let e = c.next(timeoutMs: 50)
            let changed = handle(e, client: c)
            if case .message(_, _, let retained) = e, !retained {} else if changed { quietSince = Date() }
            if let rc = connack, rc != 0 {
                throw FleetControlError.broker("the broker refused the connection: \(MqttClient.describeConnack(rc))")
            }
            if connack == 0 && Date().timeIntervalSince(quietSince) > 0.3 { return }
        }
        if connack == nil { throw FleetControlError.broker("no connection to the broker within \(seconds) s") }
    }

    public var sorted: [DeviceStatus] { devices.values.sorted { $0.id < $1.id } }

    public var statusJSON: [String: Any] { ["devices": sorted.map { $0.json }] }
}

public enum FleetControlError: Error, CustomStringConvertible {
    case broker(String)
    case input(String)
    public var description: String {
        switch self {
        case .broker(let m): return m
        case .input(let m): return m
        }
    }
}

/// How to reach the broker.
public struct BrokerOptions {
    public var host: String
    public var port: Int32
    public var user: String
    public var password: String
    public var tls: MqttTLS
    public init(host: String, port: Int32, user: String = "", password: String = "", tls: MqttTLS = MqttTLS()) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.tls = tls
    }

    public func connect(clientId: String) throws -> MqttClient {
        let c: MqttClient
        // A unique id: the broker disconnects an older client with the same id.
        let id = clientId + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        do { c = try MqttClient(clientId: id, user: user, password: password, maxQueued: 1 << 16) } catch {
            throw FleetControlError.broker(error.message)
        }
        do {
            if tls.enabled { try c.setTLS(tls) }
            try c.start(host: host, port: port)
        } catch { throw FleetControlError.broker(error.message) }
        return c
    }
}
