import EdgeRoma

/// Average precision over a set of frames at one IoU threshold, COCO style: per frame,
/// detections are taken best score first and each is matched to the not yet matched
/// ground-truth box it overlaps most (IoU >= threshold); a matched detection is a true
/// positive, any other a false positive. AP is the mean, over the 101 recall levels
/// 0, 0.01, ..., 1, of the best precision reached at that recall or beyond.
public struct APAccumulator {
    public let threshold: Float
    public private(set) var groundTruth = 0
    var scored: [(score: Float, hit: Bool)] = []

    public init(threshold: Float) { self.threshold = threshold }

    public mutating func add(_ detections: [Detection], truth: [Box]) {
        groundTruth += truth.count
        var used = [Bool](repeating: false, count: truth.count)
        // stable best-first order (a frame has a few dozen detections at most)
        let order = detections.indices.sorted { detections[$0].score > detections[$1].score || (detections[$0].score == detections[$1].score && $0 < $1) }
        for i in order {
            let d = detections[i]
            var best = threshold, hit = -1
            for (j, g) in truth.enumerated() where !used[j] {
                let v = d.box.iou(g)
                if v >= best { best = v; hit = j }
            }
            if hit >= 0 { used[hit] = true }
            scored.append((d.score, hit >= 0))
        }
    }

    /// nil when there was no ground truth (AP is undefined).
    public var averagePrecision: Double? {
        guard groundTruth > 0 else { return nil }
        let sorted = scored.enumerated().sorted { $0.element.score > $1.element.score || ($0.element.score == $1.element.score && $0.offset < $1.offset) }
        var recall: [Double] = [], precision: [Double] = []
        var tp = 0, fp = 0
        for s in sorted {
            if s.element.hit { tp += 1 } else { fp += 1 }
            recall.append(Double(tp) / Double(groundTruth))
            precision.append(Double(tp) / Double(tp + fp))
        }
        // precision envelope: best precision at this recall or beyond
        if precision.count > 1 {
            for i in stride(from: precision.count - 2, through: 0, by: -1) { precision[i] = max(precision[i], precision[i + 1]) }
        }
        var sum = 0.0, k = 0
        for level in 0...100 {
            let r = Double(level) / 100
            while k < recall.count && recall[k] < r - 1e-12 { k += 1 }
            if k < recall.count { sum += precision[k] }
        }
        return sum / 101
    }
}

/// AP50 and mAP@[.5:.95] (thresholds 0.5, 0.55, ..., 0.95) over the same frames.
public struct APSet {
    public static let thresholds: [Float] = (0..<10).map { 0.5 + 0.05 * Float($0) }
    var accumulators = APSet.thresholds.map { APAccumulator(threshold: $0) }

    public init() {}

    public mutating func add(_ detections: [Detection], truth: [Box]) {
        for i in accumulators.indices { accumulators[i].add(detections, truth: truth) }
    }

    public var groundTruth: Int { accumulators[0].groundTruth }
    public var ap50: Double? { accumulators[0].averagePrecision }
    public var map: Double? {
        var sum = 0.0
        for a in accumulators {
            guard let v = a.averagePrecision else { return nil }
            sum += v
        }
        return sum / Double(accumulators.count)
    }
}
