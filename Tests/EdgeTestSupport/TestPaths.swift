import Foundation

/// Where the repository and its committed fixtures are, from this file's own path (tests
/// run from any directory).
public enum TestPaths {
    public static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    public static let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures")

    /// A path below Tests/Fixtures.
    public static func fixture(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }

    /// A fresh directory under the system temp dir; the caller removes it.
    public static func temporaryDirectory(_ tag: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edge-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A test's own failure with a message (setup that cannot go on, a tool that failed).
public struct TestFailure: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
