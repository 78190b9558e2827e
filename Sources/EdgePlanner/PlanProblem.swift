import EdgeFormat

/// One system as the search sees it: its tier in the chain and per-block numbers.
public struct PlanSystem {
    public var name: String
    public var tier: Int
    public var seconds: [Double]
    public var outputBytes: [Double]
    /// Per block, for memory constraints (nil when the system has no memory limit).
    public var weightBytes: [Double]?
    public var arenaBytes: [Double]?
    public var memoryBytes: Double?
    /// Per block, with a transfer option: seconds it adds to a cut after the block on
    /// this system as the sender and as the receiver (+infinity: not measured, so no
    /// cut there). Nil: no transfer option, nothing added.
    public var sendSeconds: [Double]?
    public var receiveSeconds: [Double]?

    public init(name: String, tier: Int, seconds: [Double], outputBytes: [Double], weightBytes: [Double]? = nil, arenaBytes: [Double]? = nil, memoryBytes: Double? = nil) {
        self.name = name
        self.tier = tier
        self.seconds = seconds
        self.outputBytes = outputBytes
        self.weightBytes = weightBytes
        self.arenaBytes = arenaBytes
        self.memoryBytes = memoryBytes
    }
}

/// A partition question, validated: the chain of tiers, their systems' profiles of one
/// model, the links between them and every constraint. Both searches (the DP and the
/// exhaustive one the tests check it against) read only this.
public struct PlanProblem {
    public var model: String
    public var tiers: [TierRequest]
    /// Layer numbers of each block (equal on every system).
    public var blockLayers: [(first: Int, last: Int)]
    public var systems: [PlanSystem]
    /// links[a][b]: from system a to system b (nil: no row in the network file).
    public var links: [[Link?]]
    public var inputBytes: Double
    /// The transfer option every cut of this problem uses (nil: the profiled outputs as they are).
    public var transfer: TransferOption?

    // Derived from the criteria: per tier.
    public private(set) var allowed: [Bool] = []
    public private(set) var mustBlocks: [[Int]] = []
    public private(set) var forbidden: [[Bool]] = []
    /// The tier a block must run on, if any criterion says so.
    public private(set) var blockOwner: [Int?] = []

    public var blockCount: Int { blockLayers.count }

    /// Assembles and checks a problem; throws a clear error for unknown names, missing
    /// profiles or network rows. `memoryOverrides` replaces systems' memory (bytes).
    /// `transfer`: every cut sends with this option (its bytes and added times, from the
    /// profiles); a cut where it was not measured, or where its fidelity is below
    /// `minFidelity` (unknown counts as below), is not offered.
    public init(model: String, tiers: [TierRequest], profiles: [SystemProfile], network: NetworkTable,
                inputBytes: Double?, memoryOverrides: [String: Double] = [:],
                transfer: TransferOption? = nil, minFidelity: Double? = nil) throws(EdgeError) {
        self.model = model
        self.tiers = tiers
        self.transfer = transfer
        guard !tiers.isEmpty else { throw EdgeError(.invalidArgument, "the chain has no tiers") }
        var seenTier = Set<String>()
        for t in tiers {
            guard TierName.isValid(t.tier) else { throw EdgeError(.invalidArgument, "tier '\(t.tier)' must be a lower-case name like device, edge or cloud") }
            guard seenTier.insert(t.tier).inserted else { throw EdgeError(.invalidArgument, "tier '\(t.tier)' appears twice in the chain") }
        }
        for name in memoryOverrides.keys where !profiles.contains(where: { $0.system == name }) {
            throw EdgeError(.invalidArgument, "--memory names '\(name)', which no profile describes (systems: \(profiles.map(\.system).sorted().joined(separator: ", ")))")
        }
        var systems: [PlanSystem] = []
        var layers: [(first: Int, last: Int)]? = nil
        var layersFrom = ""
        var profiledInput: Int? = nil
        for (ti, t) in tiers.enumerated() {
            let members = profiles.filter { $0.tier == t.tier }.sorted { $0.system < $1.system }
            guard !members.isEmpty else {
                let known = Set(profiles.map(\.tier)).sorted().joined(separator: ", ")
                throw EdgeError(.invalidArgument, "no profile is of tier '\(t.tier)' (the profiles' tiers: \(known))")
            }
            for p in members {
                guard let m = p.model(named: model) else {
                    throw EdgeError(.invalidArgument, "system '\(p.system)' has no profile of model '\(model)' (it has: \(p.models.map(\.name).joined(separator: ", ")))")
                }
                let l = m.blocks.map { (first: $0.firstLayer, last: $0.lastLayer) }
                if let ref = layers {
                    guard ref.count == l.count, zip(ref, l).allSatisfy({ $0.first == $1.first && $0.last == $1.last }) else {
                        throw EdgeError(.invalidArgument, "the profiles of '\(model)' on \(layersFrom) and \(p.system) cut the model into different blocks; profile both from the same .edgm")
                    }
                } else {
                    layers = l
                    layersFrom = p.system
                }
                if ti == 0, profiledInput == nil { profiledInput = m.inputBytes }
                var s = PlanSystem(name: p.system, tier: ti, seconds: m.blocks.map(\.seconds), outputBytes: m.blocks.map { Double($0.outputBytes) })
                if let option = transfer {
                    // The last block's output is the model's: no cut, nothing to transfer.
                    var send = [Double](repeating: 0, count: m.blocks.count)
                    var receive = send
                    for (b, block) in m.blocks.enumerated().dropLast() {
                        let out = option.senderSide(block)
                        let fidelityOK = minFidelity.map { f in (out?.fidelity).map { $0 >= f } ?? false } ?? true
                        if let out, fidelityOK {
                            s.outputBytes[b] = out.bytes
                            send[b] = out.seconds
                        } else {
                            s.outputBytes[b] = .infinity
                            send[b] = .infinity
                        }
                        receive[b] = option.receiverSide(block) ?? .infinity
                    }
                    s.sendSeconds = send
                    s.receiveSeconds = receive
                }
                if let mem = memoryOverrides[p.system] ?? p.memoryBytes.map(Double.init) {
                    guard m.blocks.allSatisfy({ $0.weightBytes != nil && $0.arenaBytes != nil }) else {
                        throw EdgeError(.invalidArgument, "system '\(p.system)' has a memory limit, but its profile of '\(model)' lacks weight_bytes/arena_bytes per block (profile it with edgec profile)")
                    }
                    s.memoryBytes = mem
                    s.weightBytes = m.blocks.map { Double($0.weightBytes!) }
                    s.arenaBytes = m.blocks.map { Double($0.arenaBytes!) }
                }
                systems.append(s)
            }
        }
        self.systems = systems
        self.blockLayers = layers!
        self.inputBytes = inputBytes ?? profiledInput.map(Double.init) ?? TierRequest.megabytesToBytes(0.15)

        // Links, by system index.
        let g = systems.count
        var links = [[Link?]](repeating: [Link?](repeating: nil, count: g), count: g)
        for a in 0..<g { for b in 0..<g { links[a][b] = network.link(systems[a].name, systems[b].name) } }
        self.links = links
        try deriveCriteria()
        try checkLinks()
    }

    /// Builds a problem directly (tests, synthetic models).
    public init(model: String, tiers: [TierRequest], blockLayers: [(first: Int, last: Int)], systems: [PlanSystem], links: [[Link?]], inputBytes: Double) throws(EdgeError) {
        self.model = model
        self.tiers = tiers
        self.blockLayers = blockLayers
        self.systems = systems
        self.links = links
        self.inputBytes = inputBytes
        try deriveCriteria()
        try checkLinks()
    }

    public func systems(ofTier t: Int) -> [Int] { systems.indices.filter { systems[$0].tier == t } }

    /// A hop of `bytes` from system a to b after block `block` (-1: the model input,
    /// which no Transfer Layer touches): the link plus what the transfer option adds on
    /// both ends (infinite where the option was not measured).
    public func hopSeconds(_ a: Int, _ b: Int, after block: Int, bytes: Double) -> Double {
        let link = links[a][b]!.seconds(bytes)
        guard block >= 0 else { return link }
        return link + (systems[a].sendSeconds?[block] ?? 0) + (systems[b].receiveSeconds?[block] ?? 0)
    }

    /// Which block holds layer `n`.
    public func block(containing n: Int) -> Int? { blockLayers.firstIndex { $0.first <= n && n <= $0.last } }

    mutating func deriveCriteria() throws(EdgeError) {
        let n = blockCount
        allowed = [Bool](repeating: true, count: systems.count)
        mustBlocks = []
        forbidden = []
        blockOwner = [Int?](repeating: nil, count: n)
        let lastLayer = blockLayers.last!.last
        for ti in tiers.indices {
            let names = systems(ofTier: ti).map { systems[$0].name }
            // A number that is no layer of the model but a system's name ("2500") means
            // the system; Scission would read it as a layer and find nothing.
            var c = tiers[ti].criteria
            for n in c.mustLayers where block(containing: n) == nil && names.contains("\(n)") {
                c.mustLayers.removeAll { $0 == n }
                c.onlySystems.append("\(n)")
                c.mustBeUsed = true
            }
            for n in c.mustNotLayers where block(containing: n) == nil && names.contains("\(n)") {
                c.mustNotLayers.removeAll { $0 == n }
                c.excludedSystems.append("\(n)")
                c.mustBeUsed = true
            }
            tiers[ti].criteria = c
            let t = tiers[ti]
            for s in c.onlySystems + c.excludedSystems where !names.contains(s) {
                throw EdgeError(.invalidArgument, "\(t.tier) criteria '\(c.text)': no \(t.tier) system is called '\(s)' (the \(t.tier) systems: \(names.joined(separator: ", ")))")
            }
            for i in systems(ofTier: ti) {
                let name = systems[i].name
                if !c.onlySystems.isEmpty && !c.onlySystems.contains(name) { allowed[i] = false }
                if c.excludedSystems.contains(name) { allowed[i] = false }
            }
            var must: [Int] = []
            var forb = [Bool](repeating: false, count: n)
            for layer in c.mustLayers + c.mustNotLayers {
                guard block(containing: layer) != nil else {
                    throw EdgeError(.invalidArgument, "\(t.tier) criteria '\(c.text)': model '\(model)' has no layer \(layer) (its layers are 0-\(lastLayer))")
                }
            }
            for layer in c.mustLayers {
                let b = block(containing: layer)!
                if !must.contains(b) { must.append(b) }
            }
            for layer in c.mustNotLayers { forb[block(containing: layer)!] = true }
            mustBlocks.append(must.sorted())
            forbidden.append(forb)
        }
        // A block two tiers both claim stays unowned: the search then finds nothing and says why.
        var claims = [Int](repeating: 0, count: n)
        for (ti, m) in mustBlocks.enumerated() {
            for b in m {
                claims[b] += 1
                blockOwner[b] = ti
            }
        }
        for b in 0..<n where claims[b] > 1 { blockOwner[b] = nil }
    }

    /// A tier may be left out of a configuration.
    public func mayBeUnused(_ t: Int) -> Bool { !tiers[t].criteria.mustBeUsed && mustBlocks[t].isEmpty }

    /// The tiers strictly between a and b may all be left out.
    public func skippable(_ a: Int, _ b: Int) -> Bool {
        var t = a + 1
        while t < b {
            if !mayBeUnused(t) { return false }
            t += 1
        }
        return true
    }

    /// Every link a configuration could need must be in the network file.
    func checkLinks() throws(EdgeError) {
        var missing: [String] = []
        for a in systems.indices {
            for b in systems.indices where systems[b].tier > systems[a].tier && links[a][b] == nil {
                let (ta, tb) = (systems[a].tier, systems[b].tier)
                guard skippable(ta, tb), allowed[b] else { continue }
                guard allowed[a] || ta == 0 else { continue }
                missing.append("\(systems[a].name) -> \(systems[b].name) (\(tiers[ta].tier) -> \(tiers[tb].tier))")
            }
        }
        if !missing.isEmpty {
            throw EdgeError(.invalidArgument, "the network file has no row for: " + missing.joined(separator: ", ") + " (rows are source,destination,ping_ms,bandwidth_mbps)")
        }
    }
}
