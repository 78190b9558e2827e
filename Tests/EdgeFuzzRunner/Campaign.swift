import EdgeTestSupport
import Foundation

/// One model or file a campaign mutates, with the input shapes it compiles for
/// (the `--sources` JSON file is a list of these: [{"path": ..., "shapes": {...}}]).
struct FuzzSource {
    var path: String
    var shapes: [String: [Int]]

    static func read(_ file: String) throws -> [FuzzSource] {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw TestFailure(message: "\(file): expected a JSON list of {path, shapes}")
        }
        return try list.map { entry in
            guard let path = entry["path"] as? String else { throw TestFailure(message: "\(file): a source without a path") }
            return FuzzSource(path: path, shapes: entry["shapes"] as? [String: [Int]] ?? [:])
        }
    }

    var bytes: [UInt8] { get throws { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } }
}

/// A fuzz or mutation loop split into its two halves, so the runner can execute any
/// slice of it and regenerate any single input: `input` is a pure function of the
/// iteration's own generator (seeded from the campaign seed and the index), `execute`
/// feeds one input to the code under test and names what happened (each name is
/// counted; the tests assert on the counts).
protocol Campaign {
    init(sources: [FuzzSource]) throws
    func input(_ index: Int, _ rng: inout SeededRNG) -> [UInt8]
    func execute(_ input: [UInt8], index: Int) -> [String]
}

/// Every iteration has its own generator, so iteration i is the same input whether the
/// loop started at 0 or at i (a restart after a crash, a reproduction).
func iterationRNG(seed: UInt64, index: Int) -> SeededRNG {
    SeededRNG(seed: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
}

extension SeededRNG {
    /// Uniform in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
