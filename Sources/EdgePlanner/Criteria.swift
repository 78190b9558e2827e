import EdgeFormat

/// What the user asks of one tier, in Scission's criteria language.
///
/// A comma-separated list; each item is one of
///   `N`     layer N must run on this tier          `!N`    layer N must not
///   `NAME`  use only system NAME (repeat: any of)   `!NAME` never use system NAME
///   `-1`    the tier runs nothing                   `!-1`   the tier must run something
/// As in Scission, naming a system (with or without `!`) also means the tier is used.
public struct TierCriteria: Equatable {
    public var text: String = ""
    public var mustLayers: [Int] = []
    public var mustNotLayers: [Int] = []
    public var onlySystems: [String] = []
    public var excludedSystems: [String] = []
    public var mustBeUnused = false
    public var mustBeUsed = false

    public init() {}

    public init(parsing text: String, tier: String) throws(EdgeError) {
        self.text = text
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else {
                throw EdgeError(.invalidArgument, "\(tier) criteria '\(text)': empty item (stray comma?)")
            }
            let negated = item.hasPrefix("!")
            let body = negated ? String(item.dropFirst()) : item
            guard !body.isEmpty else { throw EdgeError(.invalidArgument, "\(tier) criteria '\(text)': '!' needs a layer number, -1 or a system name") }
            if body == "-1" {
                if negated { mustBeUsed = true } else { mustBeUnused = true }
            } else if body.allSatisfy({ $0.isASCII && $0.isNumber }) {
                guard let n = Int(body) else { throw EdgeError(.invalidArgument, "\(tier) criteria '\(text)': layer '\(body)' is too large") }
                if negated { mustNotLayers.append(n) } else { mustLayers.append(n) }
            } else if body.hasPrefix("-") || body.hasPrefix("+") || body.hasPrefix("!") {
                throw EdgeError(.invalidArgument, "\(tier) criteria '\(text)': '\(item)' is neither a layer number, -1, !-1 nor a system name")
            } else {
                if negated { excludedSystems.append(body) } else { onlySystems.append(body) }
                mustBeUsed = true
            }
        }
    }

    public var isEmpty: Bool { text.isEmpty }
}

/// A cap on a tier's compute time: absolute, or a share of the configuration's total compute.
public enum TimeCap: Equatable {
    case seconds(Double)
    case percent(Double)

    /// "0.5" (seconds) or "40%".
    public init(parsing text: String, option: String) throws(EdgeError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%") {
            guard let p = Double(t.dropLast()), p.isFinite, p >= 0 else {
                throw EdgeError(.invalidArgument, "\(option) '\(text)': expected seconds (0.5) or a percentage (40%)")
            }
            self = .percent(p)
        } else {
            guard let s = Double(t), s.isFinite, s >= 0 else {
                throw EdgeError(.invalidArgument, "\(option) '\(text)': expected seconds (0.5) or a percentage (40%)")
            }
            self = .seconds(s)
        }
    }
}

/// Everything a search is asked to respect on one tier.
public struct TierRequest: Equatable {
    public var tier: String
    public var criteria = TierCriteria()
    /// Cap on the bytes this tier's system sends on (Scission's --device-upload / --edge-upload).
    public var uploadCapBytes: Double?
    public var uploadCapText: String?
    public var timeCap: TimeCap?
    public var timeCapText: String?

    public init(tier: String) { self.tier = tier }

    /// Scission: MB * 1000 * 1000, in that order.
    public static func megabytesToBytes(_ mb: Double) -> Double { mb * 1000 * 1000 }
}
