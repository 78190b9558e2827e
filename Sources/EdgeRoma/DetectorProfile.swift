/// What the selector knows about one detector before it runs: its offline profile
/// (Tests/Fixtures/detectors/<name>.profile.json, written by Tools/train_roma_detectors.py).
public struct DetectorProfile: Equatable {
    public var name: String
    /// AP at IoU 0.5 on still frames, over all sizes.
    public var ap50: Float
    /// Per size bin (the family's `SizeBins`): AP50 on stills, recall at the score
    /// threshold, and beta, the displacement penalty per pixel: a box the scene has moved
    /// `d` pixels away from keeps exp(-beta * d) of its AP (fitted offline).
    public var ap50BySize: [Float]
    public var recallBySize: [Float]
    public var betaBySize: [Float]
    /// Latency on the profiling machine, milliseconds.
    public var latencyMedianMs: Double
    public var latencyP90Ms: Double

    public init(name: String, ap50: Float, ap50BySize: [Float], recallBySize: [Float], betaBySize: [Float],
                latencyMedianMs: Double, latencyP90Ms: Double) {
        self.name = name
        self.ap50 = ap50
        self.ap50BySize = ap50BySize
        self.recallBySize = recallBySize
        self.betaBySize = betaBySize
        self.latencyMedianMs = latencyMedianMs
        self.latencyP90Ms = latencyP90Ms
    }
}
