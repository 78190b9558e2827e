import Foundation

/// What `edgec prune` did, as JSON (snake_case keys, `--report`).
public struct PruneReport: Codable {
    public struct Unit: Codable {
        /// The Conv nodes whose filters are these channels (several for a residual stage).
        public var layers: [String]
        public var channelsBefore: Int
        public var channelsAfter: Int
        /// reconvene: fraction of these layers' weights unstructured SynFlow kept.
        public var synflowDensity: Double?
        /// reconvene: 1 = least sensitive (pruned first).
        public var sensitivityRank: Int?
    }

    static let reconveneScoring = "data-free iterative SynFlow at a seeded initialization, per-channel flow (|W| network, all-ones or --calibration input magnitudes): unstructured layer densities rank the conv layers by sensitivity; whole filters with the least flow leave the least sensitive layers first"
    static let reconveneWhy = "SynFlow rather than SNIP: no data or labels needed, it avoids layer collapse at high sparsity (iterative, conservative scores), and the scores are a pure function of the seed; --calibration only sets the input magnitudes"
    static let l1Why = "the classic baseline for a trained model: filters with small weights contribute least"
    static let l1Scoring = "filter L1 norm of the source weights; the same fraction of filters leaves every conv layer"

    public var method: String
    public var keep: Double
    public var seed: UInt64
    public var scoring: String
    public var why: String
    public var calibration: String?
    /// keep * dense params, in the count of `countedParams*`.
    public var budgetParams: Int
    /// Conv/Gemm/MatMul weights and biases from the shapes (what the budget counts).
    public var countedParamsBefore: Int
    public var countedParamsAfter: Int = 0
    /// As `edgec inspect` reports the compiled .edgm of the source and the pruned model.
    public var paramsBefore: Int = 0
    public var paramsAfter: Int = 0
    public var flopsBefore: Int = 0
    public var flopsAfter: Int = 0
    /// Float initializer elements of the ONNX files (BatchNorm statistics included).
    public var onnxParamsBefore: Int = 0
    public var onnxParamsAfter: Int = 0
    public var units: [Unit] = []
    public var notes: [String] = []
    public var seconds: Double = 0

    init(method: String, keep: Double, seed: UInt64, scoring: String, budgetParams: Int, countedParamsBefore: Int) {
        self.method = method
        self.keep = keep
        self.seed = seed
        self.scoring = scoring
        why = method == "l1" ? Self.l1Why : Self.reconveneWhy
        self.budgetParams = budgetParams
        self.countedParamsBefore = countedParamsBefore
    }

    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }
}
