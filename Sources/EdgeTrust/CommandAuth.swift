import EdgeWire

/// Authentication of control messages (Formats/WIRE.md): the signature covers
/// "EDGC" || 0x01 || the serialized Command. The prefix keeps a command signature from
/// ever being valid for an artifact (those start with "EDGS") and vice versa.
public enum CommandAuth {
    static let prefix: [UInt8] = [0x45, 0x44, 0x47, 0x43, 0x01]

    static func signingBytes(_ command: [UInt8]) -> [UInt8] { prefix + command }

    /// A `.signed` message for `command`.
    public static func sign(_ command: Command, secretKey: [UInt8]) -> Message {
        let bytes = command.encode()
        let sig = signingBytes(bytes).withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
        return .signed(command: bytes, signature: sig)
    }

    /// Verifies against every trusted key and decodes. The replay check (counter) is the
    /// agent's: it alone knows the last accepted counter.
    public static func open(command: [UInt8], signature: [UInt8], trusted: [[UInt8]]) throws(WireError) -> Command {
        let msg = signingBytes(command)
        var ok = false
        msg.withUnsafeBytes { m in
            for k in trusted where Ed25519.verify(signature, m, publicKey: k) { ok = true }
        }
        guard ok else { throw WireError(.unauthenticated, "command signature does not verify with any trusted key") }
        return try Command.decode(command)
    }
}
