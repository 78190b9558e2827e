import EdgeWire

/// One installed variant as the state file records it.
struct CatalogEntry {
    var name: String
    var version: UInt64
    var file: String
    var bytes: UInt64
    var family: String
}

/// The agent's durable state: the catalog of installed variants, which one is active
/// and previous, and the highest accepted command counter. It is the single source of
/// truth after a restart: files in the store that it does not name are deleted.
///
///     edge-agent-state v1
///     counter 1733090000000000
///     active digits-p40
///     previous digits-p00
///     variant digits-p40 2 digits-p40@2.edgs 61504 digits
struct AgentState {
    static let header = "edge-agent-state v1"
    var counter: UInt64 = 0
    var active: String = ""
    var previous: String = ""
    var catalog: [CatalogEntry] = []

    func entry(_ name: String) -> CatalogEntry? {
        for e in catalog where e.name == name { return e }
        return nil
    }

    mutating func put(_ e: CatalogEntry) {
        catalog.removeAll { $0.name == e.name }
        catalog.append(e)
    }

    var usedBytes: UInt64 {
        var n: UInt64 = 0
        for e in catalog { n += e.bytes }
        return n
    }

    func serialized() -> [UInt8] {
        var s = AgentState.header + "\n"
        s += "counter \(counter)\n"
        if !active.isEmpty { s += "active \(active)\n" }
        if !previous.isEmpty { s += "previous \(previous)\n" }
        for e in catalog { s += "variant \(e.name) \(e.version) \(e.file) \(e.bytes) \(e.family.isEmpty ? "-" : e.family)\n" }
        return Array(s.utf8)
    }

    static func parse(_ bytes: [UInt8]) throws(WireError) -> AgentState {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n")
        guard let first = lines.first, String(first) == header else {
            throw WireError(.badArtifact, "state file does not start with '\(header)'")
        }
        var st = AgentState()
        for line in lines.dropFirst() {
            let f = line.split(separator: " ").map { String($0) }
            switch f.first ?? "" {
            case "counter" where f.count == 2:
                guard let c = UInt64(f[1]) else { throw WireError(.badArtifact, "state file: bad counter") }
                st.counter = c
            case "active" where f.count == 2: st.active = f[1]
            case "previous" where f.count == 2: st.previous = f[1]
            case "variant" where f.count == 6:
                guard let v = UInt64(f[2]), let b = UInt64(f[4]) else { throw WireError(.badArtifact, "state file: bad variant line") }
                st.catalog.append(CatalogEntry(name: f[1], version: v, file: f[3], bytes: b, family: f[5] == "-" ? "" : f[5]))
            default:
                throw WireError(.badArtifact, "state file: unexpected line '\(line)'")
            }
        }
        return st
    }
}
