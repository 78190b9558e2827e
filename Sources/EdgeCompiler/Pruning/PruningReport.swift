import Foundation

/// Options of `ChannelPruning`.
public struct PruningOptions: Codable, Equatable {
    /// Keep every pruned channel count a multiple of this (by keeping some removable
    /// channels). 1 = remove every removable channel.
    public var roundChannels: Int

    public init(roundChannels: Int = 1) {
        self.roundChannels = max(1, roundChannels)
    }
}

/// What `ChannelPruning` did: per layer before/after, and why all-zero filters stayed.
///
/// Encodes to JSON with snake_case keys (`jsonData()`), e.g. for `edgec compile --report`.
public struct PruningReport: Codable, Equatable {
    /// One node that holds weights (Conv, ConvTranspose, Gemm, MatMul with constant B,
    /// standalone BatchNormalization, elementwise op with a constant operand).
    public struct Layer: Codable, Equatable {
        public var name: String
        public var op: String
        /// Output channels (dimension 1, or the last one for MatMul).
        public var channelsBefore: Int
        public var channelsAfter: Int
        /// Weights and biases the node stores (as the runtime will hold them).
        public var paramsBefore: Int
        public var paramsAfter: Int
        /// Multiply-adds counted as 2 FLOPs, estimated from shapes.
        public var flopsBefore: Int
        public var flopsAfter: Int
    }

    /// An all-zero filter (output channel with only zero weights) that was not removed.
    public struct KeptFilter: Codable, Equatable {
        public var layer: String
        public var channel: Int
        /// "constant channel before padded consumer", "group member alive",
        /// "feeds Sigmoid", "rounding", "pinned by <op>", ...
        public var reason: String
    }

    public var roundChannels: Int
    /// Output channels removed, summed over Conv, ConvTranspose, Gemm and MatMul layers.
    public var channelsRemoved: Int
    /// Channel groups (sets of channels that must go together) removed / examined.
    public var groupsRemoved: Int
    public var groupsTotal: Int
    /// Totals over the whole graph (weights of every node; FLOPs of every node).
    public var paramsBefore: Int
    public var paramsAfter: Int
    public var flopsBefore: Int
    public var flopsAfter: Int
    /// Constant channels whose contribution was folded into a consumer's bias.
    public var foldedConstantChannels: Int
    public var layers: [Layer]
    public var keptZeroFilters: [KeptFilter]
    /// reason -> number of kept all-zero filters.
    public var keptReasons: [String: Int]
    public var seconds: Double

    public init(roundChannels: Int = 1) {
        self.roundChannels = roundChannels
        channelsRemoved = 0
        groupsRemoved = 0
        groupsTotal = 0
        paramsBefore = 0
        paramsAfter = 0
        flopsBefore = 0
        flopsAfter = 0
        foldedConstantChannels = 0
        layers = []
        keptZeroFilters = []
        keptReasons = [:]
        seconds = 0
    }

    /// Pretty-printed JSON with snake_case keys and sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// One line per changed layer plus totals, for humans.
    public var summary: String {
        var lines: [String] = []
        for l in layers where l.channelsBefore != l.channelsAfter || l.paramsBefore != l.paramsAfter {
            lines.append("\(l.name) (\(l.op)): channels \(l.channelsBefore) -> \(l.channelsAfter), params \(l.paramsBefore) -> \(l.paramsAfter)")
        }
        lines.append("params \(paramsBefore) -> \(paramsAfter), FLOPs \(flopsBefore) -> \(flopsAfter), \(channelsRemoved) channels removed")
        for (reason, n) in keptReasons.sorted(by: { $0.key < $1.key }) {
            lines.append("kept \(n) all-zero filter(s): \(reason)")
        }
        return lines.joined(separator: "\n")
    }
}
