import EdgeFormat
import EdgeWire

/// Key files: one header line naming the kind, one line of hex.
///
///     edge-ed25519-public-key v1            edge-ed25519-secret-key v1
///     <64 hex digits>                       <128 hex digits: seed || public key>
public enum KeyFile {
    static let publicHeader = "edge-ed25519-public-key v1"
    static let secretHeader = "edge-ed25519-secret-key v1"

    public static func publicText(_ key: [UInt8]) -> String { publicHeader + "\n" + Hex.encode(key) + "\n" }
    public static func secretText(_ key: [UInt8]) -> String { secretHeader + "\n" + Hex.encode(key) + "\n" }

    public static func readPublic(_ path: String) throws(WireError) -> [UInt8] {
        try read(path, header: publicHeader, bytes: Ed25519.publicKeyBytes)
    }

    public static func readSecret(_ path: String) throws(WireError) -> [UInt8] {
        try read(path, header: secretHeader, bytes: Ed25519.secretKeyBytes)
    }

    static func read(_ path: String, header: String, bytes: Int) throws(WireError) -> [UInt8] {
        let raw: [UInt8]
        do { raw = try FileIO.read(path) } catch { throw WireError(.io, error.message) }
        guard raw.count < 4096 else { throw WireError(.badRequest, "'\(path)' is too large to be a key file") }
        let lines = String(decoding: raw, as: UTF8.self).split(separator: "\n")
        guard lines.count == 2, String(lines[0]) == header else {
            throw WireError(.badRequest, "'\(path)' is not an Edge key file (expected first line '\(header)')")
        }
        guard let key = Hex.decode(String(lines[1])), key.count == bytes else {
            throw WireError(.badRequest, "'\(path)': the key is not \(bytes) bytes of hex")
        }
        return key
    }
}
