import EdgeCompiler
import EdgeFormat
import EdgeRoma
import EdgeRuntime
import EdgeWire
import Foundation

/// The detectors of a manifest (Tests/Fixtures/detectors/manifest.json, written by
/// Tools/train_roma_detectors.py): their offline profiles and, compiled on first use by
/// `edgec`'s compiler and run by our runtime, their detections on scenario frames
/// (memoized: a policy asks for a frame once per detector at most).
public final class DetectorFamily {
    public let profiles: [DetectorProfile]
    public let bins: SizeBins
    public let decoder: DetectionDecoder
    let modelPaths: [String]
    let inputName: String
    let outputName: String
    let frameSize: (width: Int, height: Int)
    var interpreters: [Interpreter?]
    var cache: [[Int: [Detection]]]
    /// Time our runtime spent per detector run, milliseconds (last measurement).
    public private(set) var lastRunMs: [Double]

    public init(manifest path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw EdgeError(.io, "cannot read '\(path)'") }
        guard let doc = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              (doc["format"] as? String) == "roma-detectors",
              let frame = doc["frame"] as? [Int], frame.count == 2,
              let dets = doc["detectors"] as? [[String: Any]], !dets.isEmpty,
              let edges = doc["size_bins_px"] as? [NSNumber] else {
            throw EdgeError(.format, "'\(path)' is not a roma-detectors manifest")
        }
        let dir = (path as NSString).deletingLastPathComponent
        frameSize = (frame[1], frame[0])
        inputName = doc["input"] as? String ?? "frame"
        outputName = doc["output"] as? String ?? "maps"
        bins = SizeBins(edges: edges.map { $0.floatValue })
        decoder = DetectionDecoder(frameWidth: Float(frame[1]), frameHeight: Float(frame[0]),
                                   scoreMin: (doc["score_min"] as? NSNumber)?.floatValue ?? 0.05,
                                   maxDetections: doc["max_detections"] as? Int ?? 32)
        var profiles: [DetectorProfile] = [], paths: [String] = []
        for d in dets {
            guard let name = d["name"] as? String, let model = d["model"] as? String, let prof = d["profile"] as? String else {
                throw EdgeError(.format, "'\(path)': a detector entry lacks name, model or profile")
            }
            profiles.append(try Self.loadProfile((dir as NSString).appendingPathComponent(prof), name: name, bins: bins.count))
            paths.append((dir as NSString).appendingPathComponent(model))
        }
        self.profiles = profiles
        modelPaths = paths
        interpreters = Array(repeating: nil, count: paths.count)
        cache = Array(repeating: [:], count: paths.count)
        lastRunMs = Array(repeating: 0, count: paths.count)
    }

    static func loadProfile(_ path: String, name: String, bins: Int) throws -> DetectorProfile {
        guard let data = FileManager.default.contents(atPath: path) else { throw EdgeError(.io, "cannot read '\(path)'") }
        guard let doc = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let ap = (doc["ap50"] as? NSNumber)?.floatValue, let sb = doc["size_bins"] as? [[String: Any]], sb.count == bins else {
            throw EdgeError(.format, "'\(path)' is not a detector profile with \(bins) size bins")
        }
        guard let lat = doc["latency"] as? [String: Any], let median = (lat["median_ms"] as? NSNumber)?.doubleValue, median > 0 else {
            throw EdgeError(.format, "'\(path)' has no measured latency (run Tools/train_roma_detectors.py --bench-only --edgec ...)")
        }
        func column(_ key: String) -> [Float] { sb.map { ($0[key] as? NSNumber)?.floatValue ?? 0 } }
        return DetectorProfile(name: name, ap50: ap, ap50BySize: column("ap50"), recallBySize: column("recall"),
                               betaBySize: column("beta_per_px"), latencyMedianMs: median,
                               latencyP90Ms: (lat["p90_ms"] as? NSNumber)?.doubleValue ?? median)
    }

    public var count: Int { profiles.count }

    /// The family as an agent's ROMA policy (`edgec policy roma`), for a stream at this interval.
    public func romaPolicy(frameIntervalMs: Double) -> RomaPolicySpec {
        RomaPolicySpec(detectors: profiles, sizeBinsPx: bins.edges, frameWidth: frameSize.width, frameHeight: frameSize.height,
                              scoreMin: decoder.scoreMin, maxDetections: decoder.maxDetections, output: outputName,
                              frameIntervalMs: frameIntervalMs)
    }

    public func index(named name: String) -> Int? { profiles.firstIndex { $0.name == name } }

    func interpreter(_ d: Int) throws -> Interpreter {
        if let i = interpreters[d] { return i }
        let result = try Compiler.compile(onnxPath: modelPaths[d], options: CompileOptions())
        let i = try Interpreter(bytes: result.bytes)
        interpreters[d] = i
        return i
    }

    /// Runs detector d on one input [1, 1, H, W] (values 0...1) with our runtime; returns
    /// the output tensor and its rows and columns.
    func runModel(_ d: Int, input: [Float]) throws -> (maps: UnsafeBufferPointer<Float>, rows: Int, cols: Int) {
        let interp = try interpreter(d)
        guard let inId = interp.tensorId(named: inputName), let outId = interp.tensorId(named: outputName) else {
            throw EdgeError(.format, "\(profiles[d].name): the model has no tensor '\(inputName)' or '\(outputName)'")
        }
        try input.withUnsafeBufferPointer { (p) throws(EdgeError) in try interp.write(tensor: inId, p) }
        let t0 = DispatchTime.now().uptimeNanoseconds
        interp.run()
        lastRunMs[d] = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        let shape = interp.model.tensors[outId].shape
        guard shape.count == 4, shape[1] == 5 else {
            throw EdgeError(.shape, "\(profiles[d].name): output '\(outputName)' has shape \(ShapeText.of(shape)), expected [1,5,rows,cols]")
        }
        return (interp.read(tensor: outId), shape[2], shape[3])
    }

    /// The raw output map of detector d (a copy), for comparisons with onnxruntime.
    public func rawMaps(_ d: Int, input: [Float]) throws -> [Float] { Array(try runModel(d, input: input).maps) }

    /// Detector d's detections on one input [1, 1, H, W] (values 0...1).
    public func detect(_ d: Int, input: [Float]) throws -> [Detection] {
        let out = try runModel(d, input: input)
        return decoder.decode(out.maps, rows: out.rows, cols: out.cols)
    }

    /// Detector d's detections on scenario frame k (memoized).
    public func detections(_ d: Int, frame k: Int, in scenario: Scenario) throws -> [Detection] {
        if let hit = cache[d][k] { return hit }
        guard scenario.width == frameSize.width && scenario.height == frameSize.height else {
            throw EdgeError(.shape, "the scenario's frames are \(scenario.width)x\(scenario.height), the detectors read \(frameSize.width)x\(frameSize.height)")
        }
        let dets = try detect(d, input: scenario.input(frame: k))
        cache[d][k] = dets
        return dets
    }
}
