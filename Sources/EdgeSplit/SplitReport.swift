import EdgeFormat
import EdgeRuntime
import EdgeTransfer
import Foundation

/// Output agreement between the unsplit model and head -> wire -> tail.
///
/// Per sample and output: `max_rel_error` is max|split - unsplit| / max|unsplit| and
/// `mean_rel_error` is sum|split - unsplit| / sum|unsplit| (both scale-free, so logits,
/// feature maps and box regressions compare alike); the report keeps the worst and the
/// mean over samples.
public struct Fidelity {
    public var source: String
    public var samples = 0
    public var maxAbs: Float = 0
    public var worstMaxRel: Double = 0
    public var sumMeanRel: Double = 0
    public var comparisons = 0
    public var exact = true
    public var classifier = false
    public var top1Agree = 0
    public var labelled = false
    public var correctUnsplit = 0
    public var correctSplit = 0

    mutating func compare(_ ref: UnsafeBufferPointer<Float>, _ got: UnsafeBufferPointer<Float>) {
        var maxD: Float = 0, maxR: Float = 0, sumD = 0.0, sumR = 0.0
        for i in 0..<ref.count {
            let d = abs(got[i] - ref[i])
            if got[i].bitPattern != ref[i].bitPattern { exact = false }
            maxD = Swift.max(maxD, d.isNaN ? .infinity : d)
            maxR = Swift.max(maxR, abs(ref[i]))
            sumD += Double(d)
            sumR += Double(abs(ref[i]))
        }
        maxAbs = Swift.max(maxAbs, maxD)
        worstMaxRel = Swift.max(worstMaxRel, maxR > 0 ? Double(maxD / maxR) : Double(maxD))
        sumMeanRel += sumR > 0 ? sumD / sumR : sumD
        comparisons += 1
    }

    public var meanRel: Double { comparisons > 0 ? sumMeanRel / Double(comparisons) : 0 }

    public var json: [String: Any] {
        var d: [String: Any] = ["samples": samples, "source": source, "max_abs_error": Double(maxAbs),
                                "max_rel_error": worstMaxRel, "mean_rel_error": meanRel, "exact": exact]
        if classifier { d["top1_agreement"] = Double(top1Agree) / Double(Swift.max(samples, 1)) }
        if labelled {
            d["accuracy_unsplit"] = Double(correctUnsplit) / Double(Swift.max(samples, 1))
            d["accuracy_split"] = Double(correctSplit) / Double(Swift.max(samples, 1))
        }
        return d
    }
}

/// Bytes per frame and the time the split adds, over the calibration samples.
public struct FrameStats {
    public var frames = 0
    public var bytes = 0
    public var maxBytes = 0
    /// What the frames would have been without zlib.
    public var bytesWithoutZlib = 0
    public var compressedFrames = 0
    public var headNs: UInt64 = 0, tailNs: UInt64 = 0, unsplitNs: UInt64 = 0
    public var headLayerNs: UInt64 = 0, tailLayerNs: UInt64 = 0
    public var encodeNs: UInt64 = 0, decodeNs: UInt64 = 0

    mutating func add(_ f: SplitPipeline.Frame, unsplitNs: UInt64) throws {
        guard let t = f.transfer else { throw EdgeError(.format, "frame without its transfer tensor") }
        frames += 1
        bytes += f.bytes.count
        maxBytes = Swift.max(maxBytes, f.bytes.count)
        if t.zlib {
            var raw = t
            raw.zlib = false
            raw.payload = [UInt8](repeating: 0, count: t.rawBytes)
            bytesWithoutZlib += raw.encode().count
            compressedFrames += 1
        } else {
            bytesWithoutZlib += f.bytes.count
        }
        headNs += f.headNs
        tailNs += f.tailNs
        self.unsplitNs += unsplitNs
        headLayerNs += f.headLayerNs
        tailLayerNs += f.tailLayerNs
        encodeNs += f.encodeNs
        decodeNs += f.decodeNs
    }

    func ms(_ ns: UInt64) -> Double { frames > 0 ? Double(ns) / Double(frames) / 1e6 : 0 }
    public var meanBytes: Double { frames > 0 ? Double(bytes) / Double(frames) : 0 }
}

/// What `split.json` and `edgec split --json` hold.
public struct SplitReport {
    public var model: String
    public var cut: Cut
    public var cutName: String
    public var cutOp: String
    public var cutShape: [Int]
    var layer: TransferLayer
    public var explained: Double?
    public var encoding: TransferEncoding
    public var zlib: Bool
    public var transferShape: [Int]
    public var headBytes = 0
    public var tailBytes = 0
    public var frames = FrameStats()
    public var calibration = Fidelity(source: "")
    public var evaluation: Fidelity?

    init(model: String, cut: Cut, cutName: String, cutOp: String, cutShape: [Int], layer: TransferLayer,
         explained: Double?, encoding: TransferEncoding, zlib: Bool, transferShape: [Int]) {
        self.model = model
        self.cut = cut
        self.cutName = cutName
        self.cutOp = cutOp
        self.cutShape = cutShape
        self.layer = layer
        self.explained = explained
        self.encoding = encoding
        self.zlib = zlib
        self.transferShape = transferShape
    }

    public var transferLayerName: String {
        switch layer.kind {
        case .pca, .pcaAuto: return "pca:\(layer.k)"
        default: return "\(layer.kind)"
        }
    }

    public var k: Int? {
        switch layer.kind {
        case .pca, .pcaAuto: return layer.k
        default: return nil
        }
    }

    public var json: [String: Any] {
        var tl: [String: Any] = ["kind": transferLayerName, "requested": "\(layer.kind)"]
        if let k { tl["k"] = k }
        if let explained { tl["explained_variance"] = explained }
        let f = frames
        var d: [String: Any] = [
            "format": "edge-split/1",
            "model": model,
            "head": "head.edgm", "tail": "tail.edgm",
            "head_file_bytes": headBytes, "tail_file_bytes": tailBytes,
            "cut": ["layer": cut.layer, "op": cutOp, "tensor": cutName, "shape": cutShape],
            "tl": tl,
            "k": k as Any? ?? NSNull(),
            "transfer": ["encoding": "\(encoding)", "zlib": zlib ? "auto" : "off", "shape": transferShape,
                         "raw_f32_bytes": cutShape.reduce(4, *),
                         "bytes_without_zlib": f.frames > 0 ? Double(f.bytesWithoutZlib) / Double(f.frames) : 0,
                         "zlib_frames": f.compressedFrames, "frames": f.frames] as [String: Any],
            "transfer_bytes": f.meanBytes,
            "transfer_bytes_max": f.maxBytes,
            "time_ms": ["unsplit": f.ms(f.unsplitNs), "head": f.ms(f.headNs), "tail": f.ms(f.tailNs),
                        "head_tl": f.ms(f.headLayerNs), "tail_tl": f.ms(f.tailLayerNs),
                        "encode": f.ms(f.encodeNs), "decode": f.ms(f.decodeNs),
                        "added_head": f.ms(f.headLayerNs + f.encodeNs), "added_tail": f.ms(f.decodeNs + f.tailLayerNs)],
            "fidelity": calibration.json,
        ]
        if let evaluation { d["evaluation"] = evaluation.json }
        return d
    }

    public func jsonText() -> String {
        let data = try! JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(data: data, encoding: .utf8)! + "\n"
    }
}

/// The parts of `split.json` that `edgec run --split` needs.
public struct SplitManifest {
    public var encoding: TransferEncoding
    public var zlib: Bool
    public var hasTransferLayer: Bool

    public static func load(_ dir: String) throws -> SplitManifest {
        let path = (dir as NSString).appendingPathComponent("split.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EdgeError(.io, "cannot read '\(path)' (a directory written by `edgec split`)")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let transfer = obj["transfer"] as? [String: Any], let enc = transfer["encoding"] as? String,
              let tl = obj["tl"] as? [String: Any], let kind = tl["kind"] as? String else {
            throw EdgeError(.format, "'\(path)' is not a split manifest (needs transfer.encoding and tl.kind)")
        }
        return SplitManifest(encoding: try TransferEncoding.parse(enc), zlib: (transfer["zlib"] as? String) != "off",
                             hasTransferLayer: kind != "none")
    }

    public static func pipeline(_ dir: String) throws -> SplitPipeline {
        let m = try load(dir)
        let head = try Interpreter(path: (dir as NSString).appendingPathComponent("head.edgm"))
        let tail = try Interpreter(path: (dir as NSString).appendingPathComponent("tail.edgm"))
        return try SplitPipeline(head: head, tail: tail, encoding: m.encoding, compress: m.zlib, hasTransferLayer: m.hasTransferLayer)
    }
}
