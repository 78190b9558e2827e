import EdgeTrust

/// Where the artifact of a desired state comes from: retained chunks on the broker,
/// `edge/<group>/artifacts/<sha256>/<i>`, each `chunkBytes` long except the last.
public struct ArtifactRef: Equatable {
    public var sha256: [UInt8]
    public var bytes: UInt64
    public var chunkBytes: UInt64
    public init(sha256: [UInt8], bytes: UInt64, chunkBytes: UInt64) {
        self.sha256 = sha256
        self.bytes = bytes
        self.chunkBytes = chunkBytes
    }
    public var chunks: Int { Int((bytes + chunkBytes - 1) / chunkBytes) }
}

/// What a group should run (Formats/FLEET.md), signed like artifacts and commands but
/// under its own domain prefix "EDGF" 0x01, so no artifact or command signature is valid
/// here and vice versa:
///
///     edge-desired v1
///     group lab
///     seq 1764629000000000
///     variant digits-p87 3
///     artifact <sha256 hex> <bytes> <chunk bytes>        (optional)
///     devices dev-00 dev-07                              ("devices *": the whole group)
///     signature <128 hex>
///
/// The signature covers the prefix and every byte before the `signature` line. `seq`
/// only grows: an agent refuses a seq below the last it accepted (replay), so a party
/// that can publish on the broker can neither forge nor roll back the desired state.
public struct DesiredState: Equatable {
    public static let header = "edge-desired v1"
    static let prefix: [UInt8] = [0x45, 0x44, 0x47, 0x46, 0x01]  // "EDGF" 1
    public static let maxBytes = 64 << 10

    public var group: String
    public var seq: UInt64
    public var name: String
    public var version: UInt64
    public var artifact: ArtifactRef?
    /// Empty: every device of the group.
    public var devices: [String]

    public init(group: String, seq: UInt64, name: String, version: UInt64, artifact: ArtifactRef?, devices: [String]) {
        self.group = group
        self.seq = seq
        self.name = name
        self.version = version
        self.artifact = artifact
        self.devices = devices
    }

    public func targets(_ device: String) -> Bool { devices.isEmpty || devices.contains(device) }

    func body() -> String {
        var s = DesiredState.header + "\n"
        s += "group \(group)\nseq \(seq)\nvariant \(name) \(version)\n"
        if let a = artifact { s += "artifact \(Hex.encode(a.sha256)) \(a.bytes) \(a.chunkBytes)\n" }
        s += "devices"
        if devices.isEmpty { s += " *" } else { for d in devices { s += " " + d } }
        return s + "\n"
    }

    public func signed(secretKey: [UInt8]) -> [UInt8] {
        let b = Array(body().utf8)
        let sig = (DesiredState.prefix + b).withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
        return b + Array("signature \(Hex.encode(sig))\n".utf8)
    }

    /// Verifies the signature against the trusted keys, then parses. Nothing but the
    /// position of the signature line is looked at before the signature verifies.
    public static func open(_ payload: [UInt8], trusted: [[UInt8]]) throws(FleetError) -> DesiredState {
        guard !payload.isEmpty else { throw FleetError("empty desired state (retained message cleared)") }
        guard payload.count <= maxBytes else { throw FleetError("desired state of \(payload.count) bytes is larger than \(maxBytes)") }
        let marker = Array("signature ".utf8)
        // The signature line is the last line: find its start.
        var end = payload.count
        if payload[end - 1] == 10 { end -= 1 }
        var start = end
        while start > 0 && payload[start - 1] != 10 { start -= 1 }
        guard end - start == marker.count + 128, Array(payload[start..<(start + marker.count)]) == marker,
              let sig = Hex.decode(String(decoding: payload[(start + marker.count)..<end], as: UTF8.self)) else {
            throw FleetError("unsigned desired state (no 'signature' line): ignored")
        }
        let signedBytes = prefix + Array(payload[0..<start])
        var ok = false
        signedBytes.withUnsafeBytes { m in
            for k in trusted where Ed25519.verify(sig, m, publicKey: k) { ok = true }
        }
        guard ok else { throw FleetError("desired state signature does not verify with any trusted key: ignored") }
        return try parse(Array(payload[0..<start]))
    }

    static func parse(_ bytes: [UInt8]) throws(FleetError) -> DesiredState {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        var d = DesiredState(group: "", seq: 0, name: "", version: 0, artifact: nil, devices: [])
        var seen: [String] = []
        guard let first = lines.first, String(first) == header else { throw FleetError("desired state does not start with '\(header)'") }
        for line in lines.dropFirst() where !line.isEmpty {
            let f = line.split(separator: " ").map { String($0) }
            let key = f[0]
            guard !seen.contains(key) else { throw FleetError("desired state: '\(key)' appears twice") }
            seen.append(key)
            switch key {
            case "group" where f.count == 2 && Topics.validId(f[1]): d.group = f[1]
            case "seq" where f.count == 2:
                guard let s = UInt64(f[1]), s > 0 else { throw FleetError("desired state: bad seq") }
                d.seq = s
            case "variant" where f.count == 3 && SignedArtifact.validName(f[1]):
                guard let v = UInt64(f[2]) else { throw FleetError("desired state: bad version") }
                d.name = f[1]; d.version = v
            case "artifact" where f.count == 4:
                guard let sha = Hex.decode(f[1]), sha.count == 32, let n = UInt64(f[2]), let c = UInt64(f[3]),
                      n > 0, n <= 1 << 32, c > 0, c <= 1 << 24 else { throw FleetError("desired state: bad artifact line") }
                d.artifact = ArtifactRef(sha256: sha, bytes: n, chunkBytes: c)
            case "devices" where f.count >= 2:
                if f.count == 2 && f[1] == "*" { break }
                for id in f.dropFirst() {
                    guard Topics.validId(id) else { throw FleetError("desired state: bad device id '\(id)'") }
                    d.devices.append(id)
                }
            default:
                throw FleetError("desired state: unexpected line '\(line)'")
            }
        }
        guard !d.group.isEmpty, d.seq > 0, !d.name.isEmpty, seen.contains("devices") else {
            throw FleetError("desired state lacks group, seq, variant or devices")
        }
        return d
    }
}
