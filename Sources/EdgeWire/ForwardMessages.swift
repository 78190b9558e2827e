/// Swift values of the split-run messages of Formats/edge_wire.proto (Kind 20-29,
/// Envelope 20-29, Command 10, Status 31-35): a transferred tensor, the forwarding command,
/// the agent-to-agent request and the per-hop trace of its reply.

/// A tensor crossing the link between two slices (Formats/TRANSFER.md). The values are
/// produced and checked by EdgeTransfer's TransferCodec; this layer only carries them.
public struct TransferTensor: Equatable {
    /// `TransferTensor.Encoding` of the proto: 0 f32, 1 f16, 2 u8.
    public var encoding: UInt8
    public var shape: [Int]
    public var zlib: Bool
    /// Payload size before deflating.
    public var rawBytes: Int
    /// u8 only: one per channel.
    public var scale: [Float]
    public var offset: [Float]
    public var payload: [UInt8]

    public init(encoding: UInt8, shape: [Int], zlib: Bool, rawBytes: Int, scale: [Float] = [], offset: [Float] = [],
                payload: [UInt8]) {
        self.encoding = encoding
        self.shape = shape
        self.zlib = zlib
        self.rawBytes = rawBytes
        self.scale = scale
        self.offset = offset
        self.payload = payload
    }
}

/// "Forward the output of `variant` to host:port, encoded as `encoding`" (Command.forward).
/// An empty host stops forwarding.
public struct ForwardTarget: Equatable {
    public var variant: String
    public var host: String
    public var port: Int32
    public var encoding: UInt8
    public var zlib: Bool
    public var timeoutMs: UInt32
    public init(variant: String, host: String, port: Int32, encoding: UInt8, zlib: Bool, timeoutMs: UInt32) {
        self.variant = variant
        self.host = host
        self.port = port
        self.encoding = encoding
        self.zlib = zlib
        self.timeoutMs = timeoutMs
    }

    public var address: String { host.isEmpty ? "" : "\(host):\(port)" }
}

/// What an agent of a chain sends the next one (kind FORWARD).
public struct ForwardRequest {
    public var tensor: TransferTensor
    /// Agent ids this request already passed through, first agent first.
    public var visited: [UInt64]
    public var zlibOutputs: Bool
    public init(tensor: TransferTensor, visited: [UInt64], zlibOutputs: Bool) {
        self.tensor = tensor
        self.visited = visited
        self.zlibOutputs = zlibOutputs
    }

    /// Longest chain an agent accepts (agents, the first included).
    public static let maxAgents = 8
}

/// One agent's part of a reply that crossed a chain.
public struct ChainHop: Equatable {
    public var variant: String
    public var computeNanos: UInt64
    public var sentBytes: UInt64
    public var totalNanos: UInt64
    public init(variant: String, computeNanos: UInt64, sentBytes: UInt64, totalNanos: UInt64) {
        self.variant = variant
        self.computeNanos = computeNanos
        self.sentBytes = sentBytes
        self.totalNanos = totalNanos
    }
}
