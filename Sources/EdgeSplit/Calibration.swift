import EdgeFormat
import EdgeRuntime
import Foundation

/// Sample inputs read from `.npy` files: the calibration set of `edgec split` (PCA basis,
/// transfer bytes, fidelity) and an optional labelled evaluation set.
///
/// A file holds either one input (its element count equals the model input's) or a
/// stack of them (a multiple: e.g. [S, 1, 8, 8] for S samples of a [1, 1, 8, 8] input).
public struct SampleSet {
    public var samples: [[Float]]
    public var source: String

    public init(samples: [[Float]], source: String) {
        self.samples = samples
        self.source = source
    }

    /// Every `.npy` in `path` (a directory, sorted by name) or the one file `path`.
    public static func load(_ path: String, inputShape: [Int], limit: Int? = nil) throws -> SampleSet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw EdgeError(.io, "calibration path '\(path)' does not exist")
        }
        var files: [String] = []
        if isDir.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { $0.hasSuffix(".npy") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            guard !files.isEmpty else {
                throw EdgeError(.invalidArgument, "calibration directory '\(path)' holds no .npy files")
            }
        } else {
            files = [path]
        }
        let per = inputShape.reduce(1, *)
        var samples: [[Float]] = []
        for f in files {
            let a = try NpyArray.read(f)
            guard per > 0, !a.data.isEmpty, a.data.count % per == 0 else {
                throw EdgeError(.shape, "'\(f)' has shape \(ShapeText.of(a.shape)): not one or more inputs of \(ShapeText.of(inputShape))")
            }
            for s in 0..<(a.data.count / per) {
                if let limit, samples.count >= limit { break }
                samples.append(Array(a.data[(s * per)..<((s + 1) * per)]))
            }
        }
        return SampleSet(samples: samples, source: path)
    }

    /// Seeded pseudo-random inputs in [-1, 1) when no calibration set is given (bytes and
    /// timings are then indicative only; the report says so).
    public static func random(inputShape: [Int], count: Int) -> SampleSet {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let n = inputShape.reduce(1, *)
        var samples: [[Float]] = []
        for _ in 0..<count {
            var v = [Float](repeating: 0, count: n)
            for i in 0..<n {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                v[i] = Float(Int64(state >> 40) - (1 << 23)) / Float(1 << 23)
            }
            samples.append(v)
        }
        return SampleSet(samples: samples, source: "random")
    }
}
