import EdgeFormat

/// One way to send a cut tensor, as `--transfer-layers` names it: a Transfer Layer
/// (none, pool2, pca:K, pca:auto) and a wire encoding (f32, f16, u8). The canonical name
/// leaves out the defaults: "pool2" is pool2+f32, "u8" is none+u8, "pca:auto+f16" both.
public struct TransferOption: Hashable, CustomStringConvertible {
    public var tl: String
    public var encoding: String

    public static let layers = ["none", "pool2", "pca:auto"]
    public static let encodings = ["f32", "f16", "u8"]
    public static let none = TransferOption(tl: "none", encoding: "f32")

    init(tl: String, encoding: String) {
        self.tl = tl
        self.encoding = encoding
    }

    public init(parsing text: String) throws(EdgeError) {
        var tl = "none", enc = "f32", sawTL = false, sawEnc = false
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.count <= 2 else { throw Self.bad(text) }
        for p in parts {
            if Self.encodings.contains(p) && !sawEnc {
                enc = p
                sawEnc = true
            } else if !sawTL && !sawEnc && (Self.layers.contains(p) || Self.isPCA(p)) {
                tl = p
                sawTL = true
            } else {
                throw Self.bad(text)
            }
        }
        self.init(tl: tl, encoding: enc)
    }

    static func isPCA(_ p: String) -> Bool {
        guard p.hasPrefix("pca:"), let k = Int(p.dropFirst(4)) else { return false }
        return k > 0
    }

    static func bad(_ text: String) -> EdgeError {
        EdgeError(.invalidArgument, "transfer option '\(text)': expected a Transfer Layer (none, pool2, pca:K, pca:auto), an encoding (f32, f16, u8) or TL+ENCODING such as pool2+u8")
    }

    public var description: String {
        if encoding == "f32" { return tl }
        return tl == "none" ? encoding : tl + "+" + encoding
    }

    /// "none,pool2,pca:auto,u8" -> four options (duplicates refused).
    public static func parseList(_ text: String) throws(EdgeError) -> [TransferOption] {
        var out: [TransferOption] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let o = try TransferOption(parsing: String(item).trimmingCharacters(in: .whitespaces))
            guard !out.contains(o) else { throw EdgeError(.invalidArgument, "--transfer-layers names '\(o)' twice") }
            out.append(o)
        }
        guard !out.isEmpty else { throw EdgeError(.invalidArgument, "--transfer-layers is empty") }
        return out
    }

    /// What a cut after a block costs with this option, from the profiles of the two
    /// systems: the sender's side (bytes sent, seconds added, fidelity; nil fidelity:
    /// unknown) and the receiver's (seconds added). Nil when that profile has no
    /// measurement of the option. Edge's own measurements (`transfers`) come first;
    /// ScissionTL's `transfer_layer` stands for pool2 (its 2x2 max-pool and nearest
    /// up-sample, float32): the sender adds its down-sampling and data conversion, the
    /// receiver its up-sampling and data conversion, as ScissionTL's predictor adds them.
    /// `none` without a measurement is the block's output as profiled, at no extra time.
    func senderSide(_ b: BlockProfile) -> (bytes: Double, seconds: Double, fidelity: Double?)? {
        if let t = b.transfers?.first(where: { $0.option == description }) { return (Double(t.bytes), t.sendSeconds, t.fidelity) }
        if description == "pool2", let t = b.transferLayer {
            guard t.downsampleSeconds >= 0, t.dataconvertSeconds >= 0 else { return nil }
            return (Double(t.outputBytes), t.downsampleSeconds + t.dataconvertSeconds, nil)
        }
        return self == .none ? (Double(b.outputBytes), 0, 1) : nil
    }

    func receiverSide(_ b: BlockProfile) -> Double? {
        if let t = b.transfers?.first(where: { $0.option == description }) { return t.receiveSeconds }
        if description == "pool2", let t = b.transferLayer {
            guard t.upsampleSeconds >= 0, t.dataconvertSeconds >= 0 else { return nil }
            return t.upsampleSeconds + t.dataconvertSeconds
        }
        return self == .none ? 0 : nil
    }
}
