import EdgeFormat
import EdgeTransfer
import EdgeRuntime
import Foundation

public struct SplitOptions {
    public var at: String
    public var transferLayer: TransferLayerKind = .none
    /// pca:auto: the explained-variance fraction K must reach.
    public var fidelity: Double = 0.99
    public var encoding: TransferEncoding = .f32
    /// Deflate frames whose payload zlib makes smaller.
    public var zlib: Bool = true
    /// `.npy` directory (or file); nil: seeded random inputs, and no PCA.
    public var calibration: String?
    /// At most this many calibration samples are used.
    public var calibrationLimit: Int = 256
    /// Optional labelled evaluation set: `.npy` inputs and a `.npy` of class ids.
    public var evaluation: String?
    public var labels: String?

    public init(at: String) { self.at = at }
}

public struct SplitResult {
    public var head: [UInt8]
    public var tail: [UInt8]
    public var report: SplitReport
}

/// `edgec split`: cuts a compiled model in two at a valid cut, inserts the Transfer
/// Layer, and measures what crosses the link and what it costs in fidelity.
public enum Splitter {
    public static func split(modelPath: String, options: SplitOptions,
                             progress: (String) -> Void = { _ in }) throws -> SplitResult {
        let full = try Interpreter(path: modelPath)
        let model = full.model
        let cut = try Cut.parse(options.at, model: model)
        let cutShape = model.tensors[cut.tensor].shape
        try TransferLayer.checkApplies(options.transferLayer, cutShape: cutShape, cutName: model.tensors[cut.tensor].name)
        let inputShape = model.tensors[Int(model.graph.inputs[0])].shape

        let calibration: SampleSet
        if let dir = options.calibration {
            calibration = try SampleSet.load(dir, inputShape: inputShape, limit: options.calibrationLimit)
        } else {
            switch options.transferLayer {
            case .pca, .pcaAuto:
                throw EdgeError(.invalidArgument, "--tl \(options.transferLayer) needs --calibration DIR (.npy inputs to fit the principal directions on)")
            default:
                calibration = SampleSet.random(inputShape: inputShape, count: 8)
            }
        }

        // Resolve the Transfer Layer (PCA: fit on the cut tensor over the calibration set).
        var layer = TransferLayer(kind: options.transferLayer)
        var explained: Double? = nil
        switch options.transferLayer {
        case .none, .pool2: break
        case .pca, .pcaAuto:
            progress("fitting PCA of '\(model.tensors[cut.tensor].name)' \(ShapeText.of(cutShape)) on \(calibration.samples.count) samples")
            var cov = ChannelCovariance(channels: cutShape[1])
            for s in calibration.samples {
                try s.withUnsafeBufferPointer { (p) throws(EdgeError) in try full.write(tensor: Int(model.graph.inputs[0]), p) }
                full.run(0..<(cut.layer + 1))
                cov.add(full.read(tensor: cut.tensor), shape: cutShape)
            }
            let pca = cov.solve()
            if case .pca(let k) = options.transferLayer {
                layer.k = k
            } else {
                guard options.fidelity > 0, options.fidelity <= 1 else {
                    throw EdgeError(.invalidArgument, "--fidelity \(options.fidelity) must be in (0, 1]")
                }
                layer.k = pca.components(explaining: options.fidelity)
            }
            layer.basis = Array(pca.vectors[0..<(layer.k * cutShape[1])])
            layer.mean = pca.mean
            explained = pca.explained(layer.k)
        }

        // Build the two slices.
        let weights = full.file.weights
        func meta(_ role: String) -> [MetaEntry] {
            model.metadata + [MetaEntry("split.role", .string(role)), MetaEntry("split.cut", .int(Int64(cut.layer))),
                              MetaEntry("split.tl", .string(layer.kind == .pcaAuto ? "pca:\(layer.k)" : "\(layer.kind)")),
                              MetaEntry("split.transfer", .string("\(options.encoding)"))]
        }
        var head = ModelDraft(slice: model, weights: weights, range: 0..<(cut.layer + 1),
                              input: Int(model.graph.inputs[0]), outputs: [cut.tensor], metadata: meta("head"))
        layer.appendToHead(&head, cut: head.outputs[0])
        var tail = ModelDraft(slice: model, weights: weights, range: (cut.layer + 1)..<model.ops.count,
                              input: cut.tensor, outputs: cut.outputs, metadata: meta("tail"))
        layer.prependToTail(&tail, cut: tail.inputs[0])
        let headBytes = try head.serialize()
        let tailBytes = try tail.serialize()

        let pipeline = try SplitPipeline(head: try Interpreter(bytes: headBytes), tail: try Interpreter(bytes: tailBytes),
                                         encoding: options.encoding, compress: options.zlib,
                                         hasTransferLayer: layer.kind != .none)
        progress("measuring on \(calibration.samples.count) \(calibration.source == "random" ? "random" : "calibration") samples")
        var report = SplitReport(model: modelPath, cut: cut, cutName: model.tensors[cut.tensor].name,
                                 cutOp: model.ops[cut.layer].name, cutShape: cutShape, layer: layer,
                                 explained: explained, encoding: options.encoding, zlib: options.zlib,
                                 transferShape: pipeline.transferShape)
        report.headBytes = headBytes.count
        report.tailBytes = tailBytes.count
        report.calibration = try measure(full, pipeline, calibration, labels: nil, frames: &report.frames)
        if let e = options.evaluation {
            let set = try SampleSet.load(e, inputShape: inputShape)
            var labels: [Float]? = nil
            if let l = options.labels {
                let a = try NpyArray.read(l)
                guard a.data.count == set.samples.count else {
                    throw EdgeError(.shape, "--labels '\(l)' has \(a.data.count) values for \(set.samples.count) evaluation samples")
                }
                labels = a.data
            }
            var ignored = FrameStats()
            progress("evaluating on \(set.samples.count) samples")
            report.evaluation = try measure(full, pipeline, set, labels: labels, frames: &ignored)
        }
        return SplitResult(head: headBytes, tail: tailBytes, report: report)
    }

    /// Runs every sample through the unsplit model and the pipeline and compares.
    static func measure(_ full: Interpreter, _ pipeline: SplitPipeline, _ set: SampleSet,
                        labels: [Float]?, frames: inout FrameStats) throws -> Fidelity {
        let fm = full.model
        var fid = Fidelity(source: set.source)
        let classifier = pipeline.outputs.count == 1 && isClassifierShape(fm.tensors[Int(fm.graph.outputs[0])].shape)
        for (i, s) in set.samples.enumerated() {
            try s.withUnsafeBufferPointer { (p) throws(EdgeError) in try full.write(tensor: Int(fm.graph.inputs[0]), p) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            full.run()
            let fullNs = DispatchTime.now().uptimeNanoseconds - t0
            let f = try pipeline.run(s)
            try frames.add(f, unsplitNs: fullNs)
            var top1Full = -1, top1Split = -1
            for (k, id) in fm.graph.outputs.enumerated() {
                let ref = full.read(tensor: Int(id))
                let got = pipeline.output(k)
                fid.compare(ref, got)
                if classifier { top1Full = argmax(ref); top1Split = argmax(got) }
            }
            fid.samples += 1
            if classifier {
                fid.classifier = true
                if top1Full == top1Split { fid.top1Agree += 1 }
                if let labels {
                    let label = Int(labels[i])
                    if top1Full == label { fid.correctUnsplit += 1 }
                    if top1Split == label { fid.correctSplit += 1 }
                    fid.labelled = true
                }
            }
        }
        return fid
    }

    /// One dimension larger than 1: class scores.
    static func isClassifierShape(_ shape: [Int]) -> Bool {
        shape.filter { $0 > 1 }.count == 1
    }

    static func argmax(_ v: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 0..<v.count where v[i] > v[best] { best = i }
        return best
    }
}
