/// What a device publishes, retained, on `edge/<group>/reported/<id>` (Formats/FLEET.md):
/// one JSON object, written by hand because the agent has no Foundation.
public struct ReportedState {
    public var id = ""
    public var group = ""
    public var active = ""
    public var version: UInt64 = 0
    public var previous = ""
    /// seq of the last desired state this device accepted (0: none yet).
    public var seq: UInt64 = 0
    /// idle, not-targeted, fetching, installing, converged, failed.
    public var state = "idle"
    public var lastError = ""
    public var served: UInt64 = 0
    public var failedRequests: UInt64 = 0
    /// Desired-state messages refused (unsigned, bad signature, replayed, other group).
    public var rejected: UInt64 = 0
    public var rssBytes: Int64 = 0
    public init() {}

    public func json() -> String {
        var s = "{\"id\":" + ReportedState.quote(id) + ",\"group\":" + ReportedState.quote(group)
        s += ",\"online\":true,\"active\":" + ReportedState.quote(active) + ",\"version\":\(version)"
        s += ",\"previous\":" + ReportedState.quote(previous) + ",\"seq\":\(seq),\"state\":" + ReportedState.quote(state)
        s += ",\"failed\":" + (state == "failed" ? "true" : "false") + ",\"last_error\":" + ReportedState.quote(lastError)
        s += ",\"served\":\(served),\"failed_requests\":\(failedRequests),\"rejected\":\(rejected),\"rss_bytes\":\(rssBytes)}"
        return s
    }

    static func quote(_ s: String) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [34]
        for c in s.utf8 {
            switch c {
            case 34: out += [92, 34]
            case 92: out += [92, 92]
            case 0..<32: out += [92, 117, 48, 48, hex[Int(c >> 4)], hex[Int(c & 15)]]
            default: out.append(c)
            }
        }
        out.append(34)
        return String(decoding: out, as: UTF8.self)
    }
}
