import CEdgeSupport

/// Turns a CenterNet-style output map into boxes.
///
/// The map is [5, rows, cols] at a fixed stride of the frame: channel 0 the centre
/// heatmap logit, 1 and 2 the centre's offset inside its cell (x, y), 3 and 4 the log of
/// the box width and height in cells. A cell is a detection when its sigmoid score is at
/// least `scoreMin` and no 3x3 neighbour scores higher (the max-pool "NMS" of CenterNet);
/// the `maxDetections` best are kept, best first (ties in row-major order). The same rule
/// is written in Tools/train_roma_detectors.py, which computes the offline profiles.
public struct DetectionDecoder {
    public var frameWidth: Float
    public var frameHeight: Float
    public var scoreMin: Float
    public var maxDetections: Int

    public init(frameWidth: Float, frameHeight: Float, scoreMin: Float = 0.05, maxDetections: Int = 32) {
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        self.scoreMin = scoreMin
        self.maxDetections = maxDetections
    }

    public func decode(_ maps: UnsafeBufferPointer<Float>, rows: Int, cols: Int) -> [Detection] {
        let plane = rows * cols
        precondition(maps.count >= 5 * plane, "decode: map smaller than 5 x rows x cols")
        let cellX = frameWidth / Float(cols), cellY = frameHeight / Float(rows)
        var found: [Detection] = []
        for r in 0..<rows {
            for c in 0..<cols {
                let logit = maps[r * cols + c]
                let score = 1 / (1 + expf(-logit))
                guard score >= scoreMin else { continue }
                var isPeak = true
                for dr in -1...1 where isPeak {
                    for dc in -1...1 where !(dr == 0 && dc == 0) {
                        let rr = r + dr, cc = c + dc
                        guard rr >= 0, rr < rows, cc >= 0, cc < cols else { continue }
                        // compare scores, not logits: that is what the Python side does,
                        // and sigmoid can saturate two different logits to one score
                        if 1 / (1 + expf(-maps[rr * cols + cc])) > score { isPeak = false; break }
                    }
                }
                guard isPeak else { continue }
                let i = r * cols + c
                let cx = (Float(c) + maps[plane + i]) * cellX
                let cy = (Float(r) + maps[2 * plane + i]) * cellY
                let w = expf(maps[3 * plane + i]) * cellX, h = expf(maps[4 * plane + i]) * cellY
                let box = Box(max(0, cx - w / 2), max(0, cy - h / 2), min(frameWidth, cx + w / 2), min(frameHeight, cy + h / 2))
                found.append(Detection(box, score: score))
            }
        }
        Self.sortByScore(&found)
        if found.count > maxDetections { found.removeLast(found.count - maxDetections) }
        return found
    }

    /// Stable descending sort by score (insertion sort: a few dozen entries).
    static func sortByScore(_ d: inout [Detection]) {
        guard d.count > 1 else { return }
        for i in 1..<d.count {
            let x = d[i]
            var j = i - 1
            while j >= 0 && d[j].score < x.score {
                d[j + 1] = d[j]
                j -= 1
            }
            d[j + 1] = x
        }
    }
}
