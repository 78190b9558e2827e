import EdgeFormat
import EdgeRoma
import EdgeRuntime
import Foundation

/// A rendered scenario (Formats/ROMA_SCENARIO.md): DIR/frames.npy (uint8 [N, H, W]) and
/// DIR/ground_truth.json (timestamps, segments, boxes).
public struct Scenario {
    public struct Segment {
        public var name: String
        public var fps: Double
        public var cpuLoad: Double
        public var firstFrame: Int
        public var frameCount: Int
    }

    public var width: Int
    public var height: Int
    public var timestamps: [Double]
    public var segmentOfFrame: [Int]
    public var segments: [Segment]
    public var truth: [[Box]]
    /// Grey levels 0...255, frame after frame.
    public var pixels: [Float]

    public var frameCount: Int { timestamps.count }

    public init(directory: String) throws {
        let gtPath = (directory as NSString).appendingPathComponent("ground_truth.json")
        guard let data = FileManager.default.contents(atPath: gtPath) else {
            throw EdgeError(.io, "cannot read '\(gtPath)' (is '\(directory)' a scenario from Tools/roma_scenario.py?)")
        }
        guard let doc = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              (doc["format"] as? String) == "roma-scenario",
              let w = doc["width"] as? Int, let h = doc["height"] as? Int,
              let segs = doc["segments"] as? [[String: Any]], let frames = doc["frames"] as? [[String: Any]] else {
            throw EdgeError(.format, "'\(gtPath)' is not a roma-scenario ground truth file")
        }
        width = w
        height = h
        segments = []
        for (i, s) in segs.enumerated() {
            guard let fps = (s["fps"] as? NSNumber)?.doubleValue, fps > 0,
                  let first = s["first_frame"] as? Int, let count = s["frame_count"] as? Int else {
                throw EdgeError(.format, "'\(gtPath)': segment \(i) lacks fps, first_frame or frame_count")
            }
            let load = (s["cpu_load"] as? NSNumber)?.doubleValue ?? 0
            guard load >= 0 && load < 1 else { throw EdgeError(.format, "'\(gtPath)': segment \(i) has cpu_load \(load), not in [0, 1)") }
            segments.append(Segment(name: s["name"] as? String ?? "segment\(i)", fps: fps, cpuLoad: load, firstFrame: first, frameCount: count))
        }
        timestamps = []
        segmentOfFrame = []
        truth = []
        for (k, f) in frames.enumerated() {
            guard let t = (f["t"] as? NSNumber)?.doubleValue, let seg = f["segment"] as? Int, seg >= 0, seg < segments.count,
                  let boxes = f["boxes"] as? [[NSNumber]] else {
                throw EdgeError(.format, "'\(gtPath)': frame \(k) is malformed")
            }
            if let last = timestamps.last, t < last { throw EdgeError(.format, "'\(gtPath)': timestamps go backwards at frame \(k)") }
            timestamps.append(t)
            segmentOfFrame.append(seg)
            truth.append(try boxes.map { b in
                guard b.count >= 4 else { throw EdgeError(.format, "'\(gtPath)': frame \(k) has a box with \(b.count) numbers") }
                return Box(b[0].floatValue, b[1].floatValue, b[2].floatValue, b[3].floatValue)
            })
        }
        let npy = try NpyArray.read((directory as NSString).appendingPathComponent("frames.npy"))
        guard npy.shape == [frames.count, h, w] else {
            throw EdgeError(.shape, "frames.npy has shape \(ShapeText.of(npy.shape)), ground truth says \(frames.count)x\(h)x\(w)")
        }
        pixels = npy.data
    }

    /// Frame k as the detectors' input: [1, 1, H, W], values 0...1.
    public func input(frame k: Int) -> [Float] {
        let n = width * height
        return pixels[k * n..<(k + 1) * n].map { $0 / 255 }
    }

    /// The frame interval (seconds) of the segment frame k belongs to.
    public func interval(frame k: Int) -> Double { 1 / segments[segmentOfFrame[k]].fps }
}
