import EdgeRoma

/// Swift values of the messages of Formats/edge_wire.proto. The protobuf-c structs are
/// filled from and read into these in EnvelopeCodec.swift only.

/// A named float32 tensor; `data` holds little-endian float32 bytes, or their zlib
/// stream when `zlib` is set.
public struct WireTensor {
    public var name: String
    public var shape: [Int]
    public var data: [UInt8]
    public var zlib: Bool

    public init(name: String, shape: [Int], data: [UInt8], zlib: Bool = false) {
        self.name = name
        self.shape = shape
        self.data = data
        self.zlib = zlib
    }

    public var elementCount: Int {
        var n = 1
        for d in shape { n = n &* d }
        return n
    }
}

public struct InferRequest {
    public var inputs: [WireTensor]
    public var zlibOutputs: Bool
    public init(inputs: [WireTensor], zlibOutputs: Bool = false) {
        self.inputs = inputs
        self.zlibOutputs = zlibOutputs
    }
}

public struct InferReply {
    public var outputs: [WireTensor]
    public var variant: String
    public var variantVersion: UInt64
    public var latencyNanos: UInt64
    /// Filled when the request crossed a chain of agents (Envelope.chain), first agent first.
    public var chain: [ChainHop]
    public init(outputs: [WireTensor], variant: String, variantVersion: UInt64, latencyNanos: UInt64, chain: [ChainHop] = []) {
        self.outputs = outputs
        self.variant = variant
        self.variantVersion = variantVersion
        self.latencyNanos = latencyNanos
        self.chain = chain
    }
}

/// What an authenticated control message asks for.
public enum CommandAction {
    case push(totalBytes: UInt64, sha256: [UInt8], activate: Bool)
    case activate(name: String)
    case rollback
    case policy(PolicySpec)
    case forward(ForwardTarget)
    case roma(RomaPolicySpec)
}

public struct PolicyVariant {
    public var name: String
    public var accuracy: Double
    public var latencyMs: Double
    public init(name: String, accuracy: Double, latencyMs: Double) {
        self.name = name
        self.accuracy = accuracy
        self.latencyMs = latencyMs
    }
}

public struct PolicySpec {
    public var variants: [PolicyVariant]
    public var budgetMs: Double
    public init(variants: [PolicyVariant], budgetMs: Double) {
        self.variants = variants
        self.budgetMs = budgetMs
    }
}

/// SetRomaPolicy: the detector family (their offline profiles), how to decode its outputs,
/// the stream's frame rate. No detectors = off.
public struct RomaPolicySpec {
    public var detectors: [DetectorProfile]
    public var sizeBinsPx: [Float]
    public var frameWidth: Int
    public var frameHeight: Int
    public var scoreMin: Float
    public var maxDetections: Int
    public var output: String
    public var frameIntervalMs: Double
    public init(detectors: [DetectorProfile], sizeBinsPx: [Float], frameWidth: Int, frameHeight: Int, scoreMin: Float,
                maxDetections: Int, output: String, frameIntervalMs: Double) {
        self.detectors = detectors
        self.sizeBinsPx = sizeBinsPx
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        self.scoreMin = scoreMin
        self.maxDetections = maxDetections
        self.output = output
        self.frameIntervalMs = frameIntervalMs
    }

    public static var off: RomaPolicySpec {
        RomaPolicySpec(detectors: [], sizeBinsPx: [], frameWidth: 0, frameHeight: 0, scoreMin: 0, maxDetections: 0, output: "", frameIntervalMs: 0)
    }
}

/// What the ROMA policy estimates for one detector now.
public struct RomaEstimate {
    public var name: String
    public var accuracy: Double
    public var latencyMs: Double
    public init(name: String, accuracy: Double, latencyMs: Double) {
        self.name = name
        self.accuracy = accuracy
        self.latencyMs = latencyMs
    }
}

public struct Command {
    public var counter: UInt64
    public var action: CommandAction
    public init(counter: UInt64, action: CommandAction) {
        self.counter = counter
        self.action = action
    }
}

public struct VariantInfo {
    public var name: String
    public var version: UInt64
    public var bytes: UInt64
    public var family: String
    public var resident: Bool
    public init(name: String, version: UInt64, bytes: UInt64, family: String, resident: Bool) {
        self.name = name
        self.version = version
        self.bytes = bytes
        self.family = family
        self.resident = resident
    }
}

public struct AgentStatus {
    public var active: String = ""
    public var previous: String = ""
    public var variants: [VariantInfo] = []
    public var served: UInt64 = 0
    public var failed: UInt64 = 0
    public var switches: UInt64 = 0
    public var lastCounter: UInt64 = 0
    public var refused: UInt64 = 0
    public var connections: UInt32 = 0
    public var rssBytes: UInt64 = 0
    public var switchP50Nanos: UInt64 = 0
    public var switchP99Nanos: UInt64 = 0
    public var switchSamples: UInt32 = 0
    public var lastColdLoadNanos: UInt64 = 0
    public var policyBudgetMs: Double = 0
    public var policySwitches: UInt64 = 0
    public var recentP95Ms: Double = 0
    public var forwardTo: String = ""
    public var forwardVariant: String = ""
    public var forwarded: UInt64 = 0
    public var forwardFailed: UInt64 = 0
    public var agentId: UInt64 = 0
    /// ROMA policy (empty estimates: off).
    public var romaEstimates: [RomaEstimate] = []
    public var romaCurrent: String = ""
    public var romaSwitches: UInt64 = 0
    public var romaOutputs: UInt64 = 0
    public var romaIntervalMs: Double = 0
    /// Variants rolled back because their first real request failed.
    public var firstRunRollbacks: UInt64 = 0
    /// Shared worker arenas + scratch, all workers together.
    public var arenaBytes: UInt64 = 0
    public var maxResident: UInt32 = 0
    public init() {}
}

/// Bench: per-layer times of a variant on the agent's own interpreter.
public struct BenchRequest {
    /// Empty: the active variant.
    public var variant: String
    public var iterations: Int
    public init(variant: String, iterations: Int) {
        self.variant = variant
        self.iterations = iterations
    }
}

public struct LayerTime {
    public var op: String
    public var seconds: Double
    /// Raw float32 bytes of the layer's first output.
    public var outputBytes: UInt64
    public var outputShape: [Int]
    public init(op: String, seconds: Double, outputBytes: UInt64, outputShape: [Int]) {
        self.op = op
        self.seconds = seconds
        self.outputBytes = outputBytes
        self.outputShape = outputShape
    }
}

public struct BenchReply {
    public var variant: String
    public var variantVersion: UInt64
    public var iterations: Int
    /// Layer i is op i of the .edgm.
    public var layers: [LayerTime]
    /// SHA-256 of the .edgm inside the artifact.
    public var modelSha256: [UInt8]
    public var totalSeconds: Double
    public init(variant: String, variantVersion: UInt64, iterations: Int, layers: [LayerTime], modelSha256: [UInt8], totalSeconds: Double) {
        self.variant = variant
        self.variantVersion = variantVersion
        self.iterations = iterations
        self.layers = layers
        self.modelSha256 = modelSha256
        self.totalSeconds = totalSeconds
    }
}

public enum Message {
    case infer(InferRequest)
    case inferReply(InferReply)
    /// Agent -> next agent of a chain: the previous slice's output.
    case forward(ForwardRequest)
    /// `command` is a serialized Command, `signature` Ed25519 over its signing bytes.
    case signed(command: [UInt8], signature: [UInt8])
    case pushChunk(offset: UInt64, data: [UInt8])
    case status
    case statusReply(AgentStatus)
    case ok(String)
    case refused(RefusalCode, String)
    case bench(BenchRequest)
    case benchReply(BenchReply)
}

public struct Envelope {
    public var requestId: UInt64
    public var message: Message
    public init(requestId: UInt64, _ message: Message) {
        self.requestId = requestId
        self.message = message
    }
}
