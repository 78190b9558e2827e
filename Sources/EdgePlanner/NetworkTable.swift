import EdgeFormat
import Foundation

/// One directed link: what sending `bytes` from source to destination costs.
///
/// Scission's model, kept bit for bit so rankings agree: ping in ms becomes seconds,
/// bandwidth in Mbit/s becomes whole bytes per second (rounded half to even, as Python's
/// round does), and a transfer takes ping + bytes / bandwidth.
public struct Link: Equatable {
    public var pingSeconds: Double
    public var bytesPerSecond: Double

    public init(pingMs: Double, megabitsPerSecond: Double) {
        pingSeconds = pingMs / 1000
        bytesPerSecond = (megabitsPerSecond * 125000).rounded(.toNearestOrEven)
    }

    public func seconds(_ bytes: Double) -> Double { pingSeconds + bytes / bytesPerSecond }
}

/// Scission's network file: a header line, then `source,destination,ping ms,bandwidth Mbit/s`.
public struct NetworkTable {
    public private(set) var links: [String: Link] = [:]
    public private(set) var rows: [(String, String)] = []

    static func key(_ a: String, _ b: String) -> String { a + "\u{0}" + b }

    public init() {}

    public init(csv text: String, name: String) throws(EdgeError) {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
        guard !lines.isEmpty else { throw EdgeError(.format, "\(name): empty network file") }
        lines.removeFirst()  // header
        for (i, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let at = "\(name) line \(i + 2)"
            guard f.count == 4 else { throw EdgeError(.format, "\(at): expected source,destination,ping_ms,bandwidth_mbps, got '\(line)'") }
            guard !f[0].isEmpty, !f[1].isEmpty else { throw EdgeError(.format, "\(at): empty system name") }
            guard let ping = Double(f[2]), ping.isFinite, ping >= 0 else { throw EdgeError(.format, "\(at): ping '\(f[2])' is not a number of milliseconds >= 0") }
            guard let bw = Double(f[3]), bw.isFinite, bw > 0 else { throw EdgeError(.format, "\(at): bandwidth '\(f[3])' is not a positive number of Mbit/s") }
            let l = Link(pingMs: ping, megabitsPerSecond: bw)
            guard l.bytesPerSecond > 0 else { throw EdgeError(.format, "\(at): bandwidth \(f[3]) Mbit/s rounds to 0 bytes/s") }
            set(f[0], f[1], l)
        }
    }

    public static func load(_ path: String) throws(EdgeError) -> NetworkTable {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw EdgeError(.io, "cannot read network file '\(path)'")
        }
        return try NetworkTable(csv: text, name: path)
    }

    public mutating func set(_ source: String, _ destination: String, _ link: Link) {
        if links[Self.key(source, destination)] == nil { rows.append((source, destination)) }
        links[Self.key(source, destination)] = link  // a later row wins, as in Scission's dict
    }

    public func link(_ source: String, _ destination: String) -> Link? { links[Self.key(source, destination)] }
}
