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

    init(arguments: [String]) throws(EdgeError) {
        var i = 0
        var positional: [String] = []
        func value(_ option: String, _ inline: String?) throws(EdgeError) -> String {
            if let inline { return inline }
            i += 1
            guard i < arguments.count else {
                throw EdgeError(.invalidArgument, "\(option) needs a value (see --help)")
            }
            return arguments[i]
        }
        while i < arguments.count {
            let arg = arguments[i]
            var name = arg
            var inline: String?
            if Utf8Text.hasPrefix(arg, "--"), let (n, v) = Utf8Text.split(arg, at: 0x3D) {  // '='
                name = n
                inline = v
            }
            // Byte comparisons, not String ==: see Utf8Text.
            func isOption(_ long: String, _ short: String) -> Bool {
                Utf8Text.equal(name, long) || (!short.isEmpty && Utf8Text.equal(name, short))
            }
            if isOption("--input", "-i") {
                inputs.append(try value(name, inline))
            } else if isOption("--output-dir", "-o") {
                outputDir = try value(name, inline)
            } else if isOption("--slice", "") {
                slice = try value(name, inline)
            } else if isOption("--repeat", "-n") {
                let text = try value(name, inline)
                guard let n = Utf8Text.parseCount(text, limit: 1_000_000), n >= 1 else {
                    throw EdgeError(.invalidArgument, "--repeat expects a count from 1 to 1000000, got '\(text)'")
                }
                repeatCount = n
            } else if isOption("--threads", "-t") {
                let text = try value(name, inline)
                guard let n = Utf8Text.parseCount(text, limit: 64), n >= 1 else {
                    throw EdgeError(.invalidArgument, "--threads expects a count from 1 to 64, got '\(text)'")
                }
                threads = n
            } else if isOption("--help", "-h") {
                help = true
            } else {
                if Utf8Text.hasPrefix(arg, "-") && Utf8Text.count(arg) > 1 {
                    throw EdgeError(.invalidArgument, "unknown option '\(arg)' (see --help)")
                }
                positional.append(arg)
            }
            i += 1
        }
        if help { return }
        guard positional.count == 1 else {
            throw EdgeError(.invalidArgument, positional.isEmpty ? "missing MODEL.edgm (see --help)"
                                                                 : "expected one model, got \(positional.count) arguments")
        }
        model = positional[0]
    }
}
