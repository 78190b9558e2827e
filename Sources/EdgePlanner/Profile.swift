import EdgeFormat
import Foundation

/// One system's measurements: what `edgec profile` writes and `edgec partition` reads.
///
/// The schema is documented in Formats/PROFILE.md. One file per system; a file may hold
/// several models. Times are seconds, sizes bytes.
public struct SystemProfile: Codable, Equatable {
    public static let formatName = "edge-profile"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// The system's name, as the network file and the criteria spell it.
    public var system: String
    /// Where it sits in the chain: "device", "edge", "cloud" or any other lower-case name.
    public var tier: String
    /// Memory a model slice may use on this system (arena + weights); nil = unlimited.
    public var memoryBytes: Int?
    /// Free text: how the numbers were obtained ("edgec profile (interpreter, x86_64)", "imported from Scission").
    public var source: String?
    public var models: [ModelProfile]

    public init(system: String, tier: String, memoryBytes: Int? = nil, source: String? = nil, models: [ModelProfile]) {
        format = Self.formatName
        version = Self.currentVersion
        self.system = system
        self.tier = tier
        self.memoryBytes = memoryBytes
        self.source = source
        self.models = models
    }

    enum CodingKeys: String, CodingKey {
        case format, version, system, tier, source, models
        case memoryBytes = "memory_bytes"
    }

    public func model(named name: String) -> ModelProfile? {
        models.first { $0.name == name } ?? models.first { $0.name.lowercased() == name.lowercased() }
    }
}

public struct ModelProfile: Codable, Equatable {
    public var name: String
    /// Bytes of the model's input as sent from the source (nil: use --input-mb).
    public var inputBytes: Int?
    public var inputShape: [Int]?
    /// How many timed runs each block's time is the median of (nil when unknown).
    public var iterations: Int?
    /// "interpreter", "qemu-aarch64", "scission", ... : what ran the blocks.
    public var runner: String?
    public var blocks: [BlockProfile]

    public init(name: String, inputBytes: Int? = nil, inputShape: [Int]? = nil, iterations: Int? = nil, runner: String? = nil, blocks: [BlockProfile]) {
        self.name = name
        self.inputBytes = inputBytes
        self.inputShape = inputShape
        self.iterations = iterations
        self.runner = runner
        self.blocks = blocks
    }

    enum CodingKeys: String, CodingKey {
        case name, iterations, runner, blocks
        case inputBytes = "input_bytes"
        case inputShape = "input_shape"
    }
}

/// A run of layers between two consecutive valid cuts.
public struct BlockProfile: Codable, Equatable {
    public var firstLayer: Int
    public var lastLayer: Int
    /// Warm median time of the block on this system.
    public var seconds: Double
    /// Bytes of the block's output as sent to the next system.
    public var outputBytes: Int
    public var outputShape: [Int]?
    public var flops: Int?
    public var params: Int?
    /// Weight bytes the block's layers read (for memory constraints).
    public var weightBytes: Int?
    /// Peak activation bytes live while the block runs, its input and output included.
    public var arenaBytes: Int?
    /// ScissionTL's Transfer Layer measurements for a cut after this block, when known.
    public var transferLayer: TransferLayerProfile?
    /// Edge's measured transfer options for a cut after this block (`edgec profile
    /// --transfer-layers`): each Transfer Layer and encoding, split and run for real.
    public var transfers: [TransferProfile]?

    public init(firstLayer: Int, lastLayer: Int, seconds: Double, outputBytes: Int, outputShape: [Int]? = nil,
                flops: Int? = nil, params: Int? = nil, weightBytes: Int? = nil, arenaBytes: Int? = nil,
                transferLayer: TransferLayerProfile? = nil, transfers: [TransferProfile]? = nil) {
        self.firstLayer = firstLayer
        self.lastLayer = lastLayer
        self.seconds = seconds
        self.outputBytes = outputBytes
        self.outputShape = outputShape
        self.flops = flops
        self.params = params
        self.weightBytes = weightBytes
        self.arenaBytes = arenaBytes
        self.transferLayer = transferLayer
        self.transfers = transfers
    }

    enum CodingKeys: String, CodingKey {
        case seconds, flops, params, transfers
        case firstLayer = "first_layer"
        case lastLayer = "last_layer"
        case outputBytes = "output_bytes"
        case outputShape = "output_shape"
        case weightBytes = "weight_bytes"
        case arenaBytes = "arena_bytes"
        case transferLayer = "transfer_layer"
    }
}

/// ScissionTL: the output shrunk by a down-sampling layer before sending, grown back after.
public struct TransferLayerProfile: Codable, Equatable {
    public var outputBytes: Int
    public var downsampleSeconds: Double
    public var upsampleSeconds: Double
    public var dataconvertSeconds: Double

    public init(outputBytes: Int, downsampleSeconds: Double, upsampleSeconds: Double, dataconvertSeconds: Double) {
        self.outputBytes = outputBytes
        self.downsampleSeconds = downsampleSeconds
        self.upsampleSeconds = upsampleSeconds
        self.dataconvertSeconds = dataconvertSeconds
    }

    enum CodingKeys: String, CodingKey {
        case outputBytes = "output_bytes"
        case downsampleSeconds = "downsample_s"
        case upsampleSeconds = "upsample_s"
        case dataconvertSeconds = "dataconvert_s"
    }
}

/// One transfer option measured at a cut: the head ends with the Transfer Layer `tl`,
/// its output crosses encoded as `encoding` (zlib where it pays), the tail starts by
/// undoing it (Formats/PROFILE.md, "Transfer options").
public struct TransferProfile: Codable, Equatable {
    /// The option as `--transfer-layers` names it: "none", "pool2", "pca:auto", "u8", "pool2+u8".
    public var option: String
    /// The Transfer Layer that ran ("pca:auto" resolves to "pca:K").
    public var tl: String
    public var encoding: String
    /// Mean bytes per frame actually sent (the wire frame, after compression).
    public var bytes: Int
    /// Added on the sender per frame: the head's Transfer Layer and the encoding.
    public var sendSeconds: Double
    /// Added on the receiver per frame: decoding and the tail's Transfer Layer.
    public var receiveSeconds: Double
    /// Top-1 agreement with the unsplit model for a classifier, else 1 - mean relative
    /// error of the outputs (on the profiling inputs); what `--min-fidelity` compares.
    public var fidelity: Double
    public var maxRelError: Double?
    public var meanRelError: Double?
    public var top1Agreement: Double?
    public var samples: Int?

    public init(option: String, tl: String, encoding: String, bytes: Int, sendSeconds: Double, receiveSeconds: Double,
                fidelity: Double, maxRelError: Double? = nil, meanRelError: Double? = nil, top1Agreement: Double? = nil, samples: Int? = nil) {
        self.option = option
        self.tl = tl
        self.encoding = encoding
        self.bytes = bytes
        self.sendSeconds = sendSeconds
        self.receiveSeconds = receiveSeconds
        self.fidelity = fidelity
        self.maxRelError = maxRelError
        self.meanRelError = meanRelError
        self.top1Agreement = top1Agreement
        self.samples = samples
    }

    enum CodingKeys: String, CodingKey {
        case option, tl, encoding, bytes, fidelity, samples
        case sendSeconds = "send_s"
        case receiveSeconds = "receive_s"
        case maxRelError = "max_rel_error"
        case meanRelError = "mean_rel_error"
        case top1Agreement = "top1_agreement"
    }
}

// MARK: - Reading and writing

extension SystemProfile {
    /// Parses and validates a profile; `name` is used in messages.
    public static func decode(_ data: Data, name: String) throws(EdgeError) -> SystemProfile {
        let p: SystemProfile
        do {
            p = try JSONDecoder().decode(SystemProfile.self, from: data)
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw EdgeError(.format, "\(name): missing \"\(key.stringValue)\"\(Self.where(ctx.codingPath))")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw EdgeError(.format, "\(name): wrong type\(Self.where(ctx.codingPath)): \(ctx.debugDescription)")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw EdgeError(.format, "\(name): null value\(Self.where(ctx.codingPath))")
        } catch {
            throw EdgeError(.format, "\(name): not a profile (invalid JSON)")
        }
        try p.validate(name: name)
        return p
    }

    static func `where`(_ path: [CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
    }

    public static func load(_ path: String) throws(EdgeError) -> SystemProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EdgeError(.io, "cannot read profile '\(path)'")
        }
        return try decode(data, name: path)
    }

    public func encoded() -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try! e.encode(self)
    }

    public func write(_ path: String) throws(EdgeError) {
        guard FileManager.default.createFile(atPath: path, contents: encoded()) else {
            throw EdgeError(.io, "cannot write profile '\(path)'")
        }
    }

    /// The rules Formats/PROFILE.md states; a profile that breaks one is refused.
    public func validate(name: String) throws(EdgeError) {
        func bad(_ s: String) -> EdgeError { EdgeError(.format, "\(name): \(s)") }
        guard format == Self.formatName else { throw bad("\"format\" is '\(format)', expected '\(Self.formatName)'") }
        guard version == Self.currentVersion else { throw bad("version \(version) is not supported (this edgec reads version \(Self.currentVersion))") }
        guard !system.isEmpty, !system.contains(","), system.trimmingCharacters(in: .whitespaces) == system else {
            throw bad("system name '\(system)' must be non-empty, without commas or surrounding spaces")
        }
        guard TierName.isValid(tier) else { throw bad("tier '\(tier)' must be a lower-case name like device, edge or cloud") }
        if let m = memoryBytes, m <= 0 { throw bad("memory_bytes must be positive") }
        var seen = Set<String>()
        for m in models {
            guard seen.insert(m.name.lowercased()).inserted else { throw bad("model '\(m.name)' appears twice") }
            guard !m.blocks.isEmpty else { throw bad("model '\(m.name)' has no blocks") }
            if let b = m.inputBytes, b < 0 { throw bad("model '\(m.name)': input_bytes is negative") }
            var next = m.blocks[0].firstLayer
            guard next == 0 else { throw bad("model '\(m.name)': the first block starts at layer \(next), not 0") }
            for (i, b) in m.blocks.enumerated() {
                guard b.firstLayer == next, b.lastLayer >= b.firstLayer else {
                    throw bad("model '\(m.name)' block \(i): layers \(b.firstLayer)-\(b.lastLayer) do not follow on from layer \(next - 1)")
                }
                guard b.seconds.isFinite, b.seconds >= 0 else { throw bad("model '\(m.name)' block \(i): seconds must be a finite number >= 0") }
                guard b.outputBytes >= 0 else { throw bad("model '\(m.name)' block \(i): output_bytes is negative") }
                var options = Set<String>()
                for t in b.transfers ?? [] {
                    let at = "model '\(m.name)' block \(i) transfer '\(t.option)'"
                    guard (try? TransferOption(parsing: t.option)) != nil else { throw bad("\(at): not a transfer option (e.g. none, pool2, pca:auto, u8, pool2+u8)") }
                    guard options.insert(t.option).inserted else { throw bad("\(at) appears twice") }
                    guard t.bytes >= 0, t.sendSeconds.isFinite, t.sendSeconds >= 0, t.receiveSeconds.isFinite, t.receiveSeconds >= 0 else {
                        throw bad("\(at): bytes and times must be >= 0")
                    }
                    guard t.fidelity.isFinite, t.fidelity >= 0, t.fidelity <= 1 else { throw bad("\(at): fidelity must be in [0, 1]") }
                }
                next = b.lastLayer + 1
            }
        }
    }
}

public enum TierName {
    public static func isValid(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, ("a"..."z").contains(f) else { return false }
        return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// "device" -> "Device": the label Scission prints.
    public static func label(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
}

/// Every profile under the given files and directories (directories: their *.json files).
public enum ProfileSet {
    public static func load(_ paths: [String]) throws(EdgeError) -> [SystemProfile] {
        var files: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else {
                throw EdgeError(.io, "no such profile file or directory '\(p)'")
            }
            if isDir.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
                files += names.map { (p as NSString).appendingPathComponent($0) }
            } else {
                files.append(p)
            }
        }
        guard !files.isEmpty else { throw EdgeError(.invalidArgument, "no profiles (*.json) in \(paths.joined(separator: ", "))") }
        var out: [SystemProfile] = []
        var names: [String: String] = [:]
        for f in files {
            let p = try SystemProfile.load(f)
            if let other = names[p.system] {
                throw EdgeError(.invalidArgument, "system '\(p.system)' is profiled twice: \(other) and \(f)")
            }
            names[p.system] = f
            out.append(p)
        }
        return out
    }
}
