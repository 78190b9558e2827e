import EdgeFormat
import EdgeRuntime
import EdgeTransfer

/// One transfer option measured at one cut: what `edgec profile --transfer-layers` records
/// per block (Formats/PROFILE.md, "Transfer options").
public struct TransferMeasurement {
    /// The Transfer Layer that ran: "pca:auto" resolved to "pca:K".
    public var tl: String
    public var encoding: String
    /// Mean bytes per frame sent (the wire frame, zlib where it paid).
    public var bytes: Int
    /// Per frame, the warm median of `timedRuns`: the head's Transfer Layer plus
    /// encoding, and decoding plus the tail's Transfer Layer.
    public var sendSeconds: Double
    public var receiveSeconds: Double
    public var maxRelError: Double
    public var meanRelError: Double
    /// Classifiers: top-1 agreement with the unsplit model.
    public var top1Agreement: Double?
    public var samples: Int

    /// Top-1 agreement for a classifier, else 1 - mean relative error (at least 0).
    public var fidelity: Double { top1Agreement ?? Swift.max(0, 1 - meanRelError) }
}

/// Splits a model at a cut with a Transfer Layer and encoding and runs the pair on the
/// samples (`Splitter.split`, the same code as `edgec split`), keeping only the numbers
/// the planner needs.
public enum TransferProfiler {
    /// Whether `tl` can be inserted at the cut after `layer` (pool2 needs a spatial NCHW
    /// tensor, pca a rank-4 or rank-2 one with at least K channels); the reason if not.
    public static func inapplicable(modelPath: String, layer: Int, tl: TransferLayerKind) throws(EdgeError) -> String? {
        let m = try Interpreter(path: modelPath).model
        let cut = try Cut(model: m, layer: layer)
        do throws(EdgeError) {
            try TransferLayer.checkApplies(tl, cutShape: m.tensors[cut.tensor].shape, cutName: m.tensors[cut.tensor].name)
        } catch {
            return error.message
        }
        return nil
    }

    /// Bytes and fidelity over the samples (as `edgec split` reports them); times as the
    /// median of `timedRuns` warm frames of the first sample (the first run is dropped).
    public static func measure(modelPath: String, layer: Int, tl: TransferLayerKind, encoding: TransferEncoding,
                               calibration: String?, fidelityTarget: Double, timedRuns: Int = 11) throws -> TransferMeasurement {
        var o = SplitOptions(at: "\(layer)")
        o.transferLayer = tl
        o.encoding = encoding
        o.calibration = calibration
        o.fidelity = fidelityTarget
        let split = try Splitter.split(modelPath: modelPath, options: o)
        let r = split.report
        let pipeline = try SplitPipeline(head: try Interpreter(bytes: split.head), tail: try Interpreter(bytes: split.tail),
                                         encoding: encoding, compress: o.zlib, hasTransferLayer: tl != .none)
        let sample: [Float]
        if let dir = calibration {
            sample = try SampleSet.load(dir, inputShape: pipeline.inputShape, limit: 1).samples[0]
        } else {
            sample = SampleSet.random(inputShape: pipeline.inputShape, count: 1).samples[0]
        }
        var send: [UInt64] = [], receive: [UInt64] = []
        for i in 0...Swift.max(1, timedRuns) {
            let f = try pipeline.run(sample)
            if i == 0 { continue }
            send.append(f.headLayerNs + f.encodeNs)
            receive.append(f.decodeNs + f.tailLayerNs)
        }
        func median(_ v: [UInt64]) -> Double { Double(v.sorted()[v.count / 2]) / 1e9 }
        let c = r.calibration
        return TransferMeasurement(
            tl: r.transferLayerName, encoding: "\(encoding)", bytes: Int(r.frames.meanBytes.rounded()),
            sendSeconds: median(send), receiveSeconds: median(receive),
            maxRelError: c.worstMaxRel, meanRelError: c.meanRel,
            top1Agreement: c.classifier ? Double(c.top1Agree) / Double(Swift.max(c.samples, 1)) : nil, samples: c.samples)
    }
}
