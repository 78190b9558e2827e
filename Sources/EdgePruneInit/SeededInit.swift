import EdgeCompiler
import EdgeFormat
import Foundation

/// SplitMix64: a tiny generator whose stream is the same on every machine, so a seed
/// names one initialization and one set of scores.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func unit() -> Double { (Double(next() >> 11) + 1) / 9_007_199_254_740_992.0 }

    /// Standard normal (Box-Muller; one value per call for a simple, fixed stream).
    mutating func normal() -> Double {
        let u = unit(), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// Fresh weights for every trainable layer, as a framework would draw them before
/// training: He-normal conv filters (std sqrt(2 / fan_in)), Gemm/MatMul weights with std
/// sqrt(1 / fan_in), zero biases, identity BatchNorm (scale 1, shift 0, mean 0, var 1).
/// Other constants (shapes, Add/Mul operands) are kept. Tensors are drawn in node order
/// from one stream, so the result depends only on the architecture and the seed.
enum SeededInit {
    static func apply(_ graph: Graph, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var done = Set<String>()
        func set(_ name: String, _ make: (HostTensor) -> [Float]) {
            guard !name.isEmpty, let t = graph.constants[name], !t.isInteger, done.insert(name).inserted else { return }
            graph.constants[name] = HostTensor(shape: t.shape, floats: make(t))
        }
        func normal(_ t: HostTensor, std: Double) -> [Float] {
            (0..<t.count).map { _ in Float(rng.normal() * std) }
        }
        for node in graph.nodes {
            switch node.opType {
            case "Conv", "ConvTranspose":
                set(node.input(1)) { t in
                    let spatial = t.shape.dropFirst(2).reduce(1, *)
                    let fanIn = node.opType == "Conv" ? t.shape[1] * spatial : t.shape[0] * spatial / max(1, node.int("group", 1))
                    return normal(t, std: (2.0 / Double(max(fanIn, 1))).squareRoot())
                }
                set(node.input(2)) { [Float](repeating: 0, count: $0.count) }
            case "Gemm", "MatMul":
                set(node.input(1)) { t in
                    let fanIn = t.shape.count == 2 ? (node.opType == "Gemm" && node.int("transB", 0) != 0 ? t.shape[1] : t.shape[0]) : 1
                    return normal(t, std: (1.0 / Double(max(fanIn, 1))).squareRoot())
                }
                if node.opType == "Gemm" { set(node.input(2)) { [Float](repeating: 0, count: $0.count) } }
            case "BatchNormalization":
                set(node.input(1)) { [Float](repeating: 1, count: $0.count) }
                set(node.input(2)) { [Float](repeating: 0, count: $0.count) }
                set(node.input(3)) { [Float](repeating: 0, count: $0.count) }
                set(node.input(4)) { [Float](repeating: 1, count: $0.count) }
            default:
                break
            }
        }
    }
}
