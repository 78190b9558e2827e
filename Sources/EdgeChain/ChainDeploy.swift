import EdgeClient
import EdgeFormat
import EdgeRuntime
import EdgeSplit
import EdgeTransfer
import EdgeTrust
import EdgeWire
import Foundation

/// The slices of a split model in chain order, and the transfer encoding of each link.
///
/// From split directories (`edgec split`): one directory gives two slices (its head and
/// tail); for three or more, split the previous directory's `tail.edgm` again and list the
/// directories in order: `D1 D2` gives D1/head, D2/head, D2/tail, where D2 was split from
/// D1/tail.edgm (checked). Link i uses the encoding and zlib setting of directory i.
public struct ChainPlan {
    public struct Slice {
        public var path: String
        public var model: [UInt8]
        public var inputShape: [Int]
        public var outputShape: [Int]
    }
    public struct Link {
        public var encoding: TransferEncoding
        public var zlib: Bool
        public var shape: [Int]
    }
    public var slices: [Slice] = []
    public var links: [Link] = []

    public static func load(splitDirs: [String]) throws -> ChainPlan {
        guard !splitDirs.isEmpty else { throw EdgeError(.invalidArgument, "give at least one split directory (from edgec split)") }
        var plan = ChainPlan()
        for (k, dir) in splitDirs.enumerated() {
            let m = try SplitManifest.load(dir)
            let headPath = (dir as NSString).appendingPathComponent("head.edgm")
            let tailPath = (dir as NSString).appendingPathComponent("tail.edgm")
            let head = try slice(headPath), tail = try slice(tailPath)
            guard head.outputShape == tail.inputShape else {
                throw EdgeError(.shape, "'\(dir)': the head sends \(ShapeText.of(head.outputShape)), the tail takes \(ShapeText.of(tail.inputShape))")
            }
            if k > 0 {
                let previousTail = (splitDirs[k - 1] as NSString).appendingPathComponent("tail.edgm")
                let source = try splitSource(dir)
                guard realPath(source) == realPath(previousTail) else {
                    throw EdgeError(.invalidArgument,
                                    "'\(dir)' was split from '\(source)', not from '\(previousTail)': split the previous directory's tail.edgm again for a longer chain")
                }
                plan.slices.removeLast()  // the previous tail is replaced by this head + tail
            }
            plan.slices.append(head)
            plan.links.append(Link(encoding: m.encoding, zlib: m.zlib, shape: head.outputShape))
            plan.slices.append(tail)
        }
        return plan
    }

    static func slice(_ path: String) throws -> Slice {
        let bytes = try FileIO.read(path)
        let i = try Interpreter(bytes: bytes)
        let g = i.model.graph
        guard g.inputs.count == 1, g.outputs.count >= 1 else {
            throw EdgeError(.format, "'\(path)' is not a slice with one input")
        }
        return Slice(path: path, model: bytes, inputShape: i.model.tensors[Int(g.inputs[0])].shape,
                     outputShape: i.model.tensors[Int(g.outputs[0])].shape)
    }

    static func splitSource(_ dir: String) throws -> String {
        let path = (dir as NSString).appendingPathComponent("split.json")
        guard let data = FileManager.default.contents(atPath: path),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let model = obj["model"] as? String else {
            throw EdgeError(.format, "'\(path)' does not name the model it was split from")
        }
        return model
    }

    static func realPath(_ p: String) -> String {
        URL(fileURLWithPath: p).resolvingSymlinksInPath().standardizedFileURL.path
    }
}

/// `edgec deploy`: signs and pushes slice i to agent i, activates it, and sets each agent
/// but the last to forward its output to the next (the last one replies itself).
public struct ChainDeploy {
    public var chain: [String]
    /// The address agent i-1 uses to reach agent i, when it differs from the operator's
    /// (namespaces, NAT); default: `chain`.
    public var forwardVia: [String]?
    public var name: String
    public var version: UInt64
    public var timeoutMs: UInt32 = 10_000

    public init(chain: [String], forwardVia: [String]? = nil, name: String, version: UInt64) {
        self.chain = chain
        self.forwardVia = forwardVia
        self.name = name
        self.version = version
    }

    public struct Hop {
        public var address: String
        public var variant: String
        public var artifactBytes: Int
        public var forwardTo: String
        public var link: ChainPlan.Link?
        public var pushed: String
    }

    public func variantName(_ i: Int) -> String { "\(name)-s\(i)" }

    public func deploy(_ plan: ChainPlan, key: [UInt8], progress: ((String) -> Void)? = nil) throws -> [Hop] {
        guard chain.count == plan.slices.count else {
            throw EdgeError(.invalidArgument, "--chain names \(chain.count) agents, the split has \(plan.slices.count) slices")
        }
        guard chain.count <= ForwardRequest.maxAgents else {
            throw EdgeError(.invalidArgument, "a chain has at most \(ForwardRequest.maxAgents) agents")
        }
        let via = forwardVia ?? chain
        guard via.count == chain.count else { throw EdgeError(.invalidArgument, "--forward-via needs one address per agent") }
        for a in chain + via { _ = try parseAddress(a) }
        guard SignedArtifact.validName(variantName(chain.count - 1)) else {
            throw EdgeError(.invalidArgument, "name '\(name)' is not 1-60 characters of [A-Za-z0-9._-]")
        }
        var hops: [Hop] = []
        for (i, s) in plan.slices.enumerated() {
            let v = variantName(i)
            let artifact = try ArtifactSigner.sign(model: s.model, metadata: ArtifactMetadata(name: v, version: version, family: name),
                                                   secretKey: key)
            progress?("pushing \(v) (\(artifact.count) bytes) to \(chain[i])")
            let text = try AgentClient(address: chain[i]).push(artifact, key: key, activate: true)
            hops.append(Hop(address: chain[i], variant: v, artifactBytes: artifact.count,
                            forwardTo: i + 1 < chain.count ? via[i + 1] : "", link: i < plan.links.count ? plan.links[i] : nil, pushed: text))
        }
        // Last agent first: when an agent starts forwarding, the rest of the chain is ready.
        for hop in hops.reversed() {
            var target = ForwardTarget(variant: hop.variant, host: "", port: 0, encoding: 0, zlib: false, timeoutMs: timeoutMs)
            if let link = hop.link {
                let (h, p) = try parseAddress(hop.forwardTo)
                target.host = h
                target.port = p
                target.encoding = link.encoding.rawValue
                target.zlib = link.zlib
            }
            // Not inside `progress?(...)`: optional chaining would skip the call when nil.
            let reply = try AgentClient(address: hop.address).command(.forward(target), key: key)
            progress?(reply)
        }
        return hops
    }
}
