/// Why a frame, a request or a command was refused. The raw values travel in
/// `Result.code` (Formats/WIRE.md), so they are part of the protocol: only add.
public enum RefusalCode: UInt32 {
    case malformedFrame = 1
    case unsupportedVersion = 2
    case frameTooLarge = 3
    case unauthenticated = 4
    case replayedCommand = 5
    case olderVersion = 6
    case badArtifact = 7
    case selfTestFailed = 8
    case noSuchVariant = 9
    case tooManyConnections = 10
    case timeout = 11
    case quotaExceeded = 12
    case io = 13
    case badRequest = 14
    case nothingToRollBack = 15
    case noActiveVariant = 16
    case internalError = 17

    /// Short stable name for logs and `--json`.
    public var name: String {
        switch self {
        case .malformedFrame: return "malformed-frame"
        case .unsupportedVersion: return "unsupported-version"
        case .frameTooLarge: return "frame-too-large"
        case .unauthenticated: return "unauthenticated"
        case .replayedCommand: return "replayed-command"
        case .olderVersion: return "older-version"
        case .badArtifact: return "bad-artifact"
        case .selfTestFailed: return "self-test-failed"
        case .noSuchVariant: return "no-such-variant"
        case .tooManyConnections: return "too-many-connections"
        case .timeout: return "timeout"
        case .quotaExceeded: return "quota-exceeded"
        case .io: return "io"
        case .badRequest: return "bad-request"
        case .nothingToRollBack: return "nothing-to-roll-back"
        case .noActiveVariant: return "no-active-variant"
        case .internalError: return "internal"
        }
    }
}

/// The error type of the wire, trust and agent layers (typed throws, Embedded-safe).
public struct WireError: Error {
    public var code: RefusalCode
    public var message: String

    public init(_ code: RefusalCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
