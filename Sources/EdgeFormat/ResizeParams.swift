/// `resize`. ints [mode, coordinateTransform, nearestMode]; floats [scaleH, scaleW]
public struct ResizeParams: OpRecord {
    public var mode: ResizeMode
    public var transform: ResizeCoordinateTransform
    public var nearest: ResizeNearestMode
    public var scaleH: Float
    public var scaleW: Float

    public init(mode: ResizeMode, transform: ResizeCoordinateTransform, nearest: ResizeNearestMode,
                scaleH: Float, scaleW: Float) {
        self.mode = mode
        self.transform = transform
        self.nearest = nearest
        self.scaleH = scaleH
        self.scaleW = scaleW
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 3, floats: 2)
        guard let mode = ResizeMode(rawValue: op.ints[0]) else {
            throw EdgeError(.format, "op '\(op.name)': unknown resize mode \(op.ints[0])")
        }
        guard let transform = ResizeCoordinateTransform(rawValue: op.ints[1]) else {
            throw EdgeError(.format, "op '\(op.name)': unknown coordinate transform \(op.ints[1])")
        }
        guard let nearest = ResizeNearestMode(rawValue: op.ints[2]) else {
            throw EdgeError(.format, "op '\(op.name)': unknown nearest mode \(op.ints[2])")
        }
        self.init(mode: mode, transform: transform, nearest: nearest, scaleH: op.floats[0], scaleW: op.floats[1])
    }

    public var ints: [Int64] { [mode.rawValue, transform.rawValue, nearest.rawValue] }
    public var floats: [Float] { [scaleH, scaleW] }
}
