import CEdgeSupport
import EdgeFormat

/// The command line of `edge-run`: the device twin of `edgec run`.
///
///     edge-run MODEL.edgm --input NAME=FILE.npy ... [--output-dir DIR] [--slice FROM:TO] [--repeat N] [--threads N]
///
/// Option values may follow as the next argument or after '=' (`--repeat=5`).
struct Options {
    var model = ""
    var inputs: [String] = []
    var outputDir = "."
    var slice: String?
    var repeatCount = 1
    var threads = 1
    var help = false

    static let usage: StaticString = """
        usage: edge-run MODEL.edgm --input NAME=FILE.npy ... [--output-dir DIR] [--slice FROM:TO] [--repeat N] [--threads N]
          --input NAME=FILE.npy  an input tensor (repeatable; NAME= may be left out when there is one input)
          --output-dir DIR       where <output name>.npy files go (created if missing; default .)
          --slice FROM:TO        run only layers FROM..TO (inclusive, numbered as `edgec inspect` does)
          --repeat N             run N times (inputs re-written each time) and print min/median latency
          --threads N            threads the layers' GEMMs split over (1 to 64; default 1)
        exit codes: 0 ok, 2 bad arguments or inputs, 3 i/o, 4 bad file, 5 unsupported, 6 shape mismatch

        """

    /// Parses C's argv as bytes where they lie: only the values kept (paths, names, the
    /// slice) become Strings. Why not an array of Strings first: building, validating and
    /// comparing a String per argument cost 0.6 KB of the device binary.
    init(argc: Int, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws(EdgeError) {
        typealias Bytes = UnsafeBufferPointer<UInt8>
        func argument(_ k: Int) -> Bytes {
            guard let p = argv[k] else { return Bytes(start: nil, count: 0) }
            return Bytes(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p))
        }
        var i = 1
        func text(_ b: Bytes) throws(EdgeError) -> String {
            guard let s = Utf8Text.string(b) else {
                throw EdgeError(.invalidArgument, "argument \(i) is not valid UTF-8")
            }
            return s
        }
        func value(_ option: Bytes, _ inline: Bytes?) throws(EdgeError) -> Bytes {
            if let inline { return inline }
            i += 1
            guard i < argc else {
                throw EdgeError(.invalidArgument, "\(Utf8Text.string(option) ?? "option") needs a value (see --help)")
            }
            return argument(i)
        }
        var positional = 0
        while i < argc {
            let arg = argument(i)
            var name = arg
            var inline: Bytes?
            if Utf8Text.equal(arg, "--", prefix: true), let eq = arg.firstIndex(of: 0x3D) {  // '='
                name = Bytes(rebasing: arg[..<eq])
                inline = Bytes(rebasing: arg[(eq + 1)...])
            }
            func isOption(_ long: StaticString, _ short: StaticString) -> Bool {
                Utf8Text.equal(name, long) || (short.utf8CodeUnitCount > 0 && Utf8Text.equal(name, short))
            }
            if isOption("--input", "-i") {
                inputs.append(try text(try value(name, inline)))
            } else if isOption("--output-dir", "-o") {
                outputDir = try text(try value(name, inline))
            } else if isOption("--slice", "") {
                slice = try text(try value(name, inline))
            } else if isOption("--repeat", "-n") {
                let v = try value(name, inline)
                guard let n = Utf8Text.parseCount(v, limit: 1_000_000), n >= 1 else {
                    throw EdgeError(.invalidArgument, "--repeat expects a count from 1 to 1000000, got '\(Utf8Text.string(v) ?? "?")'")
                }
                repeatCount = n
            } else if isOption("--threads", "-t") {
                let v = try value(name, inline)
                guard let n = Utf8Text.parseCount(v, limit: 64), n >= 1 else {
                    throw EdgeError(.invalidArgument, "--threads expects a count from 1 to 64, got '\(Utf8Text.string(v) ?? "?")'")
                }
                threads = n
            } else if isOption("--help", "-h") {
                help = true
            } else {
                if Utf8Text.equal(arg, "-", prefix: true) && arg.count > 1 {
                    throw EdgeError(.invalidArgument, "unknown option '\(Utf8Text.string(arg) ?? "?")' (see --help)")
                }
                if positional == 0 { model = try text(arg) }
                positional += 1
            }
            i += 1
        }
        if help { return }
        guard positional == 1 else {
            throw EdgeError(.invalidArgument, positional == 0 ? "missing MODEL.edgm (see --help)"
                                                             : "expected one model, got \(positional) arguments")
        }
    }
}
