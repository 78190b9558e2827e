import EdgeTrust

/// The fleet's topic tree (Formats/FLEET.md). Group and device ids are restricted to
/// [A-Za-z0-9._-] (1-64 characters) so they can never contain MQTT wildcards or levels.
public enum Topics {
    public static func desired(_ group: String) -> String { "edge/\(group)/desired" }
    public static func reported(_ group: String, _ device: String) -> String { "edge/\(group)/reported/\(device)" }
    public static func reportedAll(_ group: String) -> String { "edge/\(group)/reported/+" }
    public static func online(_ group: String, _ device: String) -> String { "edge/\(group)/online/\(device)" }
    public static func onlineAll(_ group: String) -> String { "edge/\(group)/online/+" }
    public static func chunk(_ group: String, _ sha256Hex: String, _ index: Int) -> String {
        "edge/\(group)/artifacts/\(sha256Hex)/\(index)"
    }

    public static func artifactsAll(_ group: String) -> String { "edge/\(group)/artifacts/#" }

    /// The artifact's SHA-256 hex of a chunk topic of `group`, nil for any other topic.
    public static func chunkArtifact(_ group: String, _ topic: String) -> String? {
        let prefix = "edge/\(group)/artifacts/"
        guard topic.hasPrefix(prefix) else { return nil }
        let levels = topic.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 2, levels[0].utf8.count == 64, !levels[1].isEmpty, levels[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return String(levels[0])
    }

    /// The last level of a topic (the device id of reported/online topics).
    public static func lastLevel(_ topic: String) -> String {
        var u = Array(topic.utf8)
        var i = u.count
        while i > 0 && u[i - 1] != 47 { i -= 1 }
        u.removeFirst(i)
        return String(decoding: u, as: UTF8.self)
    }

    /// Same rule as variant names (they become topic levels as those become file names).
    public static func validId(_ s: String) -> Bool { SignedArtifact.validName(s) }
}
