import CEdgeSupport

/// What the running detector's own outputs say about the scene, without labels: how
/// many objects of each size there are and how fast they move.
///
/// Sizes: every processed output adds its detections (score >= `minScore`) to a size
/// histogram that decays by `decay` per output, so it follows the scene within a few
/// dozen outputs. A detector misses small objects more often than large ones; each count
/// is divided by the running detector's recall in that bin (from its profile, floored at
/// `recallFloor`), so switching detectors does not by itself change the estimate.
///
/// Speed: detections of two consecutive outputs are matched greedily by centre distance
/// (nearest pairs first; a pair must be closer than `maxJump` sizes and agree in size
/// within a factor 2), which chains them into tracks. A track's speed sample is the
/// distance from where the track was `span` frames ago (at most `maxTrackFrames`) divided
/// by `span`: a detector's localisation jitter of a few pixels then adds little to the
/// speed of a still object (it would be a full sample between two outputs), while real
/// motion adds up. A sample weighs min(1, span / `fullWeightFrames`), so a fresh track,
/// where jitter still dominates, counts less. Speeds decay like the sizes.
public struct SceneObserver {
    public let bins: SizeBins
    public var decay: Float = 0.9
    public var minScore: Float = 0.3
    public var recallFloor: Float = 0.2
    public var maxJump: Float = 1.5
    public var maxTrackFrames = 15
    public var fullWeightFrames: Float = 4
    /// Decayed, recall-corrected object counts per bin.
    public private(set) var sizeMass: [Float]
    /// Decayed sums of speed samples (pixels per frame) and their weights, per bin.
    public private(set) var speedSum: [Float]
    public private(set) var speedWeight: [Float]
    /// The last output's detections with where their tracks started (centre, frame).
    var previous: [Detection] = []
    var origins: [(x: Float, y: Float, frame: Int)] = []
    var previousFrame = -1

    public init(bins: SizeBins) {
        self.bins = bins
        sizeMass = [Float](repeating: 0, count: bins.count)
        speedSum = sizeMass
        speedWeight = sizeMass
    }

    /// The running detector finished `frame`; `recall` is its recall per size bin.
    public mutating func observe(_ detections: [Detection], frame: Int, recall: [Float]) {
        let kept = detections.filter { $0.score >= minScore }
        for b in 0..<bins.count {
            sizeMass[b] *= decay
            speedSum[b] *= decay
            speedWeight[b] *= decay
        }
        for d in kept {
            let b = bins.index(ofSize: d.box.size)
            sizeMass[b] += 1 / max(recallFloor, b < recall.count ? recall[b] : 1)
        }
        var nextOrigins = kept.map { (x: $0.box.centerX, y: $0.box.centerY, frame: frame) }
        if previousFrame >= 0 && frame > previousFrame {
            for (i, j) in Self.match(kept, previous, maxJump: maxJump) {
                let a = kept[i], p = previous[j]
                var o = origins[j]
                if frame - o.frame > maxTrackFrames { o = (p.box.centerX, p.box.centerY, previousFrame) }
                let span = Float(frame - o.frame)
                let dx = a.box.centerX - o.x, dy = a.box.centerY - o.y
                let b = bins.index(ofSize: a.box.size)
                let w = min(1, span / fullWeightFrames)
                speedSum[b] += w * (dx * dx + dy * dy).squareRoot() / span
                speedWeight[b] += w
                nextOrigins[i] = o
            }
        }
        previous = kept
        origins = nextOrigins
        previousFrame = frame
    }

    /// Share of objects per size bin (all zero before anything was seen).
    public var sizeShare: [Float] {
        let total = sizeMass.reduce(0, +)
        return total > 0 ? sizeMass.map { $0 / total } : sizeMass
    }

    /// Mean speed per bin, pixels per frame; a bin without samples takes the mean over
    /// all bins (objects of one scene tend to move alike), 0 when nothing was matched.
    public var speedBySize: [Float] {
        let allW = speedWeight.reduce(0, +)
        let overall = allW > 0 ? speedSum.reduce(0, +) / allW : 0
        var out = [Float](repeating: overall, count: bins.count)
        for b in 0..<bins.count where speedWeight[b] > 0.5 { out[b] = speedSum[b] / speedWeight[b] }
        return out
    }

    /// Greedy nearest-centre matching between two detection lists: index pairs (current, previous).
    static func match(_ now: [Detection], _ before: [Detection], maxJump: Float) -> [(Int, Int)] {
        var pairs: [(dist: Float, i: Int, j: Int)] = []
        for (i, a) in now.enumerated() {
            for (j, p) in before.enumerated() {
                let sa = a.box.size, sp = p.box.size
                guard sa > 0, sp > 0, sa <= 2 * sp, sp <= 2 * sa else { continue }
                let dx = a.box.centerX - p.box.centerX, dy = a.box.centerY - p.box.centerY
                let dist = (dx * dx + dy * dy).squareRoot()
                guard dist <= maxJump * max(sa, sp) else { continue }
                pairs.append((dist, i, j))
            }
        }
        // insertion sort by distance, ties by (i, j): deterministic
        if pairs.count > 1 {
            for k in 1..<pairs.count {
                let x = pairs[k]
                var m = k - 1
                while m >= 0 && (pairs[m].dist > x.dist || (pairs[m].dist == x.dist && (pairs[m].i, pairs[m].j) > (x.i, x.j))) {
                    pairs[m + 1] = pairs[m]
                    m -= 1
                }
                pairs[m + 1] = x
            }
        }
        var usedNow = [Bool](repeating: false, count: now.count)
        var usedBefore = [Bool](repeating: false, count: before.count)
        var out: [(Int, Int)] = []
        for p in pairs where !usedNow[p.i] && !usedBefore[p.j] {
            usedNow[p.i] = true
            usedBefore[p.j] = true
            out.append((p.i, p.j))
        }
        return out
    }
}
