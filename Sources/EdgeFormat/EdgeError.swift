/// The one error type of the Embedded-safe core (typed throws need a concrete type).
///
/// `kind` lets callers map failures to exit codes; `message` is a single line a user
/// can act on (it names the file section, tensor, op or node at fault).
public struct EdgeError: Error, CustomStringConvertible {
    public enum Kind: UInt8 {
        /// A file could not be opened, read, mapped or written.
        case io = 1
        /// Bytes that do not form a valid file (bad magic, truncation, CRC, offsets).
        case format = 2
        /// A well-formed input that asks for something Edge does not do.
        case unsupported = 3
        /// Shapes or element counts that do not agree.
        case shape = 4
        /// A caller mistake: bad option, unknown name, missing input.
        case invalidArgument = 5
    }

    public var kind: Kind
    /// Empty in a build with `EDGE_STRIP_MESSAGES` (the firmware's `STRIP_MESSAGES=1`,
    /// TFLite Micro's TF_LITE_STRIP_ERROR_STRINGS): the message is then never built, so its
    /// text and interpolation code are not in the binary; `kind` (the exit code) stays.
    /// There it is not even stored: an error is one byte, and the hundreds of throw and
    /// catch sites carry no String to retain or release (-2.7 KB on full-stripped).
#if EDGE_STRIP_MESSAGES
    public var message: String { "" }
#else
    public var message: String
#endif

    @inline(__always)
    public init(_ kind: Kind, _ message: @autoclosure () -> String) {
        self.kind = kind
#if !EDGE_STRIP_MESSAGES
        self.message = message()
#endif
    }

    /// Whether messages were compiled out of this build.
    public static var messagesStripped: Bool {
#if EDGE_STRIP_MESSAGES
        return true
#else
        return false
#endif
    }

    public var description: String { message }
}

extension EdgeError.Kind {
    /// The process exit code of this kind of failure, the same for `edgec` and `edge-run`:
    /// 2 bad arguments or inputs, 3 I/O, 4 malformed file, 5 unsupported, 6 shape mismatch.
    /// (0 is success; 7, outputs differing from `--expect`, is `edgec run`'s own.)
    public var exitCode: Int32 {
        switch self {
        case .invalidArgument: return 2
        case .io: return 3
        case .format: return 4
        case .unsupported: return 5
        case .shape: return 6
        }
    }
}
