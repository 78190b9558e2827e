import CEdgeSodium
import EdgeWire

/// Ed25519 and SHA-256 through libsodium. `crypto_sign_verify_detached` rejects
/// small-order keys and R, S >= L and non-canonical encodings (checked against the
/// speccheck vectors in Tests/Fixtures/ed25519_speccheck).
public enum Ed25519 {
    public static let publicKeyBytes = 32
    public static let secretKeyBytes = 64
    public static let signatureBytes = 64

    /// libsodium must be initialised once before use; calling again is harmless.
    @inline(__always)
    static func ready() {
        _ = sodium_init()
    }

    public static func keypair() -> (publicKey: [UInt8], secretKey: [UInt8]) {
        ready()
        var pk = [UInt8](repeating: 0, count: publicKeyBytes)
        var sk = [UInt8](repeating: 0, count: secretKeyBytes)
        pk.withUnsafeMutableBufferPointer { p in
            sk.withUnsafeMutableBufferPointer { s in _ = crypto_sign_keypair(p.baseAddress!, s.baseAddress!) }
        }
        return (pk, sk)
    }

    /// The public key is the second half of libsodium's secret key.
    public static func publicKey(ofSecret sk: [UInt8]) -> [UInt8] { Array(sk[32..<64]) }

    public static func sign(_ message: UnsafeRawBufferPointer, secretKey: [UInt8]) -> [UInt8] {
        ready()
        var sig = [UInt8](repeating: 0, count: signatureBytes)
        sig.withUnsafeMutableBufferPointer { s in
            secretKey.withUnsafeBufferPointer { k in
                _ = crypto_sign_detached(s.baseAddress!, nil, bytePointer(message), UInt64(message.count), k.baseAddress!)
            }
        }
        return sig
    }

    public static func verify(_ signature: [UInt8], _ message: UnsafeRawBufferPointer, publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureBytes, publicKey.count == publicKeyBytes else { return false }
        ready()
        return signature.withUnsafeBufferPointer { s in
            publicKey.withUnsafeBufferPointer { k in
                crypto_sign_verify_detached(s.baseAddress!, bytePointer(message), UInt64(message.count), k.baseAddress!) == 0
            }
        }
    }
}

/// libsodium's pointers are non-null even for empty messages.
private let emptyMessage = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

func bytePointer(_ raw: UnsafeRawBufferPointer) -> UnsafePointer<UInt8> {
    guard let b = raw.baseAddress else { return UnsafePointer(emptyMessage) }
    return b.assumingMemoryBound(to: UInt8.self)
}

public enum Sha256 {
    public static func digest(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        Ed25519.ready()
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { o in
            _ = crypto_hash_sha256(o.baseAddress!, bytePointer(data), UInt64(data.count))
        }
        return out
    }

    public static func digest(_ data: [UInt8]) -> [UInt8] { data.withUnsafeBytes { digest($0) } }
}

/// Lower-case hex, for key files and messages.
public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case 48...57: v = c - 48
            case 97...102: v = c - 87
            case 65...70: v = c - 55
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return high == nil ? out : nil
    }
}
