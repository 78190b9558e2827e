import EdgeFormat

/// The question `edgec partition` asks, as its options spell it; turns into a PlanProblem.
public struct PartitionOptions {
    public var profiles: [String] = []
    public var network: String = ""
    public var model: String = ""
    /// Tier names in chain order (default device,edge,cloud).
    public var chain: [String] = ["device", "edge", "cloud"]
    /// TIER -> criteria text (-d/-e/-c fill device/edge/cloud).
    public var criteria: [String: String] = [:]
    /// TIER -> MB (Scission's --device-upload / --edge-upload).
    public var uploadMB: [String: String] = [:]
    /// TIER -> "S" or "P%".
    public var time: [String: String] = [:]
    /// SYSTEM -> MB of memory, overriding the profile's memory_bytes.
    public var memoryMB: [String: String] = [:]
    public var inputMB: Double?
    public var objective: Objective = .latency
    /// `--transfer-layers`: rank every cut with each of these (empty: the profiled outputs).
    public var transferLayers: [TransferOption] = []
    /// `--min-fidelity`: a transfer option whose measured fidelity at a cut is lower is not used there.
    public var minFidelity: Double?

    public init() {}

    /// "device,edge" -> ["device", "edge"]
    public static func parseChain(_ text: String) throws(EdgeError) -> [String] {
        let tiers = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !tiers.isEmpty, tiers.allSatisfy(TierName.isValid) else {
            throw EdgeError(.invalidArgument, "--chain '\(text)': expected tier names separated by commas, like device,gateway,edge,cloud")
        }
        return tiers
    }

    public func tierRequests() throws(EdgeError) -> [TierRequest] {
        for key in Array(criteria.keys) + Array(uploadMB.keys) + Array(time.keys) where !chain.contains(key) {
            throw EdgeError(.invalidArgument, "a constraint names tier '\(key)', which is not in the chain \(chain.joined(separator: ","))")
        }
        var out: [TierRequest] = []
        for t in chain {
            var r = TierRequest(tier: t)
            if let c = criteria[t] { r.criteria = try TierCriteria(parsing: c, tier: t) }
            if let u = uploadMB[t] {
                guard let mb = Double(u.trimmingCharacters(in: .whitespaces)), mb.isFinite, mb >= 0 else {
                    throw EdgeError(.invalidArgument, "\(t) upload cap '\(u)': expected megabytes (e.g. 0.5)")
                }
                r.uploadCapBytes = TierRequest.megabytesToBytes(mb)
                r.uploadCapText = u
            }
            if let s = time[t] {
                r.timeCap = try TimeCap(parsing: s, option: "--\(t)-time")
                r.timeCapText = s
            }
            out.append(r)
        }
        return out
    }

    public func makeProblem(transfer: TransferOption? = nil) throws(EdgeError) -> PlanProblem {
        guard !model.isEmpty else { throw EdgeError(.invalidArgument, "--model is required") }
        if let i = inputMB, !(i.isFinite && i >= 0) { throw EdgeError(.invalidArgument, "--input-mb must be a number of megabytes >= 0") }
        let requests = try tierRequests()
        let profiles = try ProfileSet.load(self.profiles)
        let net = try NetworkTable.load(network)
        var memory: [String: Double] = [:]
        for (name, text) in memoryMB {
            guard let mb = Double(text), mb.isFinite, mb > 0 else { throw EdgeError(.invalidArgument, "--memory \(name)=\(text): expected megabytes > 0") }
            memory[name] = TierRequest.megabytesToBytes(mb)
        }
        return try PlanProblem(model: model.lowercased(), tiers: requests, profiles: profiles, network: net,
                               inputBytes: inputMB.map(TierRequest.megabytesToBytes), memoryOverrides: memory,
                               transfer: transfer, minFidelity: transfer == nil ? nil : minFidelity)
    }
}
