/// Axis-aligned boxes and scored detections in frame pixels (x to the right, y down;
/// x1 and y1 are exclusive ends, as the scenario generator writes ground truth).
public struct Box: Equatable {
    public var x0: Float
    public var y0: Float
    public var x1: Float
    public var y1: Float

    public init(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }

    public var width: Float { max(0, x1 - x0) }
    public var height: Float { max(0, y1 - y0) }
    public var area: Float { width * height }
    /// sqrt(area): the object size the size bins and the profiles use.
    public var size: Float { area.squareRoot() }
    public var centerX: Float { (x0 + x1) * 0.5 }
    public var centerY: Float { (y0 + y1) * 0.5 }

    /// Intersection over union; 0 when either box is empty.
    public func iou(_ other: Box) -> Float {
        let iw = min(x1, other.x1) - max(x0, other.x0)
        let ih = min(y1, other.y1) - max(y0, other.y0)
        guard iw > 0, ih > 0 else { return 0 }
        let inter = iw * ih
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }
}

public struct Detection: Equatable {
    public var box: Box
    public var score: Float

    public init(_ box: Box, score: Float) {
        self.box = box
        self.score = score
    }
}

/// Object-size bins over sqrt(box area) in frame pixels; `edges` are the inner bounds,
/// so edges [12, 24, 48] make four bins: <12, 12..<24, 24..<48, >=48.
public struct SizeBins: Equatable {
    public let edges: [Float]

    public init(edges: [Float]) { self.edges = edges }

    public var count: Int { edges.count + 1 }

    public func index(ofSize size: Float) -> Int {
        var i = 0
        while i < edges.count && size >= edges[i] { i += 1 }
        return i
    }
}
