/// SplitMix64: tiny, fast, and the same sequence on every platform, so a failing random
/// case can be reproduced from its seed and index. The one seeded generator of the tests.
public struct SeededRNG: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    public mutating func bool(_ probabilityTrue: Double = 0.5) -> Bool {
        Double.random(in: 0..<1, using: &self) < probabilityTrue
    }

    public mutating func float(_ range: ClosedRange<Float> = -1...1) -> Float { Float.random(in: range, using: &self) }

    public mutating func floats(_ count: Int, _ range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in float(range) }
    }

    public mutating func pick<T>(_ values: [T]) -> T { values[int(0...(values.count - 1))] }
}
