import CEdgeMqtt

/// TLS settings of an MQTT connection (empty caFile: no TLS).
public struct MqttTLS {
    public var caFile = ""
    public var certFile = ""
    public var keyFile = ""
    public init() {}
    public var enabled: Bool { !caFile.isEmpty }

    /// The rule both sides check: a client certificate needs its key, and TLS its CA.
    public func problem() -> String? {
        if certFile.isEmpty != keyFile.isEmpty { return "--mqtt-cert and --mqtt-key go together" }
        if !certFile.isEmpty && caFile.isEmpty { return "--mqtt-cert needs --mqtt-cafile (TLS)" }
        return nil
    }
}

/// An MQTT client (libmosquitto through CEdgeMqtt). Its network thread connects,
/// reconnects and acknowledges on its own; the owner drains events with `next`, on
/// one thread. Shared by the agent (Embedded-safe) and `edgec fleet`.
public final class MqttClient {
    public enum Event {
        case message(topic: String, payload: [UInt8], retained: Bool)
        /// rc is the CONNACK code: 0 accepted, 4 bad user name or password, 5 not authorised.
        case connected(rc: Int32)
        case disconnected(rc: Int32)
        case timeout
    }

    private let m: OpaquePointer

    public init(clientId: String, user: String, password: String, maxQueued: Int32 = 4096) throws(FleetError) {
        guard let h = clientId.withCString({ edge_mqtt_new($0, maxQueued) }) else {
            throw FleetError("cannot create an MQTT client")
        }
        m = h
        if !user.isEmpty {
            let rc = user.withCString { u in password.withCString { p in edge_mqtt_set_login(h, u, p) } }
            guard rc == 0 else { edge_mqtt_free(h); throw FleetError("MQTT login: \(MqttClient.describe(rc))") }
        }
    }

    deinit { edge_mqtt_free(m) }

    /// TLS to the broker: its certificate must verify against `caFile` and name the host;
    /// `certFile`/`keyFile` (both or neither) are a client certificate.
    public func setTLS(_ tls: MqttTLS) throws(FleetError) {
        let rc = tls.caFile.withCString { ca in
            tls.certFile.withCString { cert in
                tls.keyFile.withCString { key in
                    edge_mqtt_set_tls(m, ca, tls.certFile.isEmpty ? nil : cert, tls.keyFile.isEmpty ? nil : key)
                }
            }
        }
        guard rc == 0 else { throw FleetError("MQTT TLS (\(tls.caFile)): \(MqttClient.describe(rc))") }
    }

    /// A message the broker publishes for us if we vanish without a DISCONNECT.
    public func setWill(topic: String, payload: [UInt8], retain: Bool) throws(FleetError) {
        let rc = topic.withCString { t in payload.withUnsafeBytes { edge_mqtt_set_will(m, t, $0.baseAddress, Int32($0.count), 1, retain ? 1 : 0) } }
        guard rc == 0 else { throw FleetError("MQTT last will: \(MqttClient.describe(rc))") }
    }

    /// Connects in the background (a broker that is down now is retried forever).
    public func start(host: String, port: Int32, keepaliveSeconds: Int32 = 10, maxReconnectSeconds: Int32 = 2) throws(FleetError) {
        let rc = host.withCString { edge_mqtt_start(m, $0, port, keepaliveSeconds, maxReconnectSeconds) }
        guard rc == 0 else { throw FleetError("cannot start the MQTT client for \(host):\(port): \(MqttClient.describe(rc))") }
    }

    @discardableResult
    public func subscribe(_ topic: String, qos: Int32 = 1) -> Bool { topic.withCString { edge_mqtt_subscribe(m, $0, qos) } == 0 }

    @discardableResult
    public func unsubscribe(_ topic: String) -> Bool { topic.withCString { edge_mqtt_unsubscribe(m, $0) } == 0 }

    /// Queues a message; QoS 1 messages queued while disconnected go out on reconnect.
    @discardableResult
    public func publish(_ topic: String, _ payload: [UInt8], qos: Int32 = 1, retain: Bool) -> Bool {
        let rc = topic.withCString { t in payload.withUnsafeBytes { edge_mqtt_publish(m, t, $0.baseAddress, Int32($0.count), qos, retain ? 1 : 0) } }
        return rc == 0 || rc == 4  // 4: MOSQ_ERR_NO_CONN, queued for the reconnect
    }

    public func next(timeoutMs: Int32) -> Event {
        var e = edge_mqtt_event()
        switch edge_mqtt_next(m, timeoutMs, &e) {
        case 1:
            let topic = e.topic.map { String(cString: $0) } ?? ""
            var payload: [UInt8] = []
            if let p = e.payload, e.length > 0 { payload = Array(UnsafeBufferPointer(start: p, count: e.length)) }
            return .message(topic: topic, payload: payload, retained: e.retained != 0)
        case 2: return .connected(rc: e.rc)
        case 3: return .disconnected(rc: e.rc)
        default: return .timeout
        }
    }

    /// True when every QoS 1 publish was acknowledged within the time.
    @discardableResult
    public func waitPublished(timeoutMs: Int32) -> Bool { edge_mqtt_wait_published(m, timeoutMs) == 0 }

    public var isConnected: Bool { edge_mqtt_is_connected(m) != 0 }
    public var dropped: UInt64 { edge_mqtt_dropped(m) }

    public static func describe(_ rc: Int32) -> String {
        guard let s = edge_mqtt_strerror(rc) else { return "error \(rc)" }
        return String(cString: s)
    }

    public static func describeConnack(_ rc: Int32) -> String {
        guard let s = edge_mqtt_connack_string(rc) else { return "CONNACK \(rc)" }
        return String(cString: s)
    }
}
