import ArgumentParser
import EdgeFormat
import Foundation

/// Maps errors to one line on stderr and a meaningful exit code (see `edgec --help`).
func failing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as EdgeError {
        FileHandle.standardError.write(("edgec: error: " + e.message + "\n").data(using: .utf8)!)
        throw ExitCode(e.kind.exitCode)
    }
}

/// Refuses an integer option outside `range` with exit code 2 (huge values would
/// otherwise trap in a conversion such as Int32(_:) or run for ever).
func checkRange(_ value: Int, _ option: String, _ range: ClosedRange<Int>) throws {
    guard range.contains(value) else {
        throw EdgeError(.invalidArgument, "\(option) expects a value from \(range.lowerBound) to \(range.upperBound), got \(value)")
    }
}

/// Iteration counts for run/bench/portfolio (edge-run's --repeat has the same bound).
let maxIterations = 1_000_000

func note(_ text: String) {
    FileHandle.standardError.write(("edgec: " + text + "\n").data(using: .utf8)!)
}

/// "1x3x224x224" -> [1, 3, 224, 224]
func parseDims(_ text: String) throws -> [Int] {
    let parts = text.split(separator: "x", omittingEmptySubsequences: false)
    var dims: [Int] = []
    for p in parts {
        guard let d = Int(p), d >= 0 else {
            throw EdgeError(.invalidArgument, "'\(text)' is not a shape like 1x3x224x224")
        }
        dims.append(d)
    }
    return dims
}

/// "name=value" -> (name, value); the name may itself contain '=' only if quoted away.
func splitAssignment(_ text: String, _ option: String) throws -> (String, String) {
    guard let eq = text.lastIndex(of: "=") else {
        throw EdgeError(.invalidArgument, "\(option) expects NAME=VALUE, got '\(text)'")
    }
    return (String(text[..<eq]), String(text[text.index(after: eq)...]))
}


func jsonString(_ value: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(data: data, encoding: .utf8)!
}

func humanBytes(_ n: Int) -> String {
    if n >= 1 << 20 { return String(format: "%.2f MiB", Double(n) / Double(1 << 20)) }
    if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / Double(1 << 10)) }
    return "\(n) B"
}
