import EdgeFormat
import EdgeWire

/// A float32 tensor of the self-test (golden input or output).
public struct GoldenTensor {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// What `edgec sign` puts next to the model.
public struct ArtifactMetadata {
    public var name: String
    public var version: UInt64
    public var family: String
    public init(name: String, version: UInt64, family: String) {
        self.name = name
        self.version = version
        self.family = family
    }
}

/// A signed model variant, `.edgs` (Formats/ARTIFACT.md):
///
///     0   "EDGS"  u16 format 1  u16 reserved 0
///     8   u64 model offset   u64 model bytes     (offset is 64-aligned: weights stay aligned when mmap'd)
///     24  u64 self-test offset  u64 self-test bytes
///     40  u64 version   u8[32] signer public key
///     80  string name   string family            (u32 length + UTF-8 each)
///     ... zero padding to 64, the .edgm, padding to 8, the self-test, then
///     end-64  Ed25519 signature over every byte before it
///
/// All integers are little-endian. The signature covers the header, so name, version
/// and key cannot be changed without the key.
public struct SignedArtifact {
    public static let magic: [UInt8] = [0x45, 0x44, 0x47, 0x53]  // "EDGS"
    public static let formatVersion: UInt16 = 1
    static let fixedHeaderBytes = 80

    public var metadata: ArtifactMetadata
    public var signer: [UInt8]
    /// Byte range of the .edgm inside the artifact.
    public var modelRange: Range<Int>
    public var selfTestInputs: [GoldenTensor]
    public var selfTestOutputs: [GoldenTensor]

    /// Builds and signs an artifact.
    public static func build(model: [UInt8], metadata: ArtifactMetadata, inputs: [GoldenTensor],
                             outputs: [GoldenTensor], secretKey: [UInt8]) -> [UInt8] {
        var test = ByteWriter()
        writeTensors(&test, inputs)
        writeTensors(&test, outputs)

        var w = ByteWriter()
        w.append(magic)
        w.u16(formatVersion)
        w.u16(0)
        let offsets = w.count
        for _ in 0..<4 { w.u64(0) }
        w.u64(metadata.version)
        w.append(Ed25519.publicKey(ofSecret: secretKey))
        w.string(metadata.name)
        w.string(metadata.family)
        w.align(to: 64)
        let modelAt = w.count
        w.append(model)
        w.align(to: 8)
        let testAt = w.count
        w.append(test.bytes)
        w.patchU64(at: offsets, UInt64(modelAt))
        w.patchU64(at: offsets + 8, UInt64(model.count))
        w.patchU64(at: offsets + 16, UInt64(testAt))
        w.patchU64(at: offsets + 24, UInt64(test.count))
        var bytes = w.bytes
        let sig = bytes.withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
        bytes.append(contentsOf: sig)
        return bytes
    }

    /// Checks magic, signature (against the trusted keys) and layout, in that order:
    /// nothing but the fixed header is interpreted before the signature verifies.
    public init(verifying image: UnsafeRawBufferPointer, trusted: [[UInt8]]) throws(WireError) {
        let n = image.count
        guard n >= 4 else { throw WireError(.badArtifact, "artifact is \(n) bytes: not a signed artifact") }
        if image[0] == 0x45, image[1] == 0x44, image[2] == 0x47, image[3] == 0x4d {
            throw WireError(.unauthenticated, "unsigned: this is a plain .edgm model; sign it with 'edgec sign'")
        }
        guard image[0] == 0x45, image[1] == 0x44, image[2] == 0x47, image[3] == 0x53 else {
            throw WireError(.badArtifact, "not a signed Edge artifact (bad magic)")
        }
        guard n >= SignedArtifact.fixedHeaderBytes + Ed25519.signatureBytes else {
            throw WireError(.badArtifact, "artifact truncated (\(n) bytes)")
        }
        let format = UInt16(image[4]) | UInt16(image[5]) << 8
        guard format == SignedArtifact.formatVersion else {
            throw WireError(.badArtifact, "artifact format \(format) is not supported (this agent reads 1)")
        }
        var signer: [UInt8] = []
        for i in 48..<80 { signer.append(image[i]) }
        var isTrusted = false
        for k in trusted where k == signer { isTrusted = true }
        guard isTrusted else {
            throw WireError(.unauthenticated, "signed by key \(Hex.encode(Array(signer[0..<8])))..., which this agent does not trust")
        }
        let body = UnsafeRawBufferPointer(rebasing: image[0..<(n - Ed25519.signatureBytes)])
        var sig: [UInt8] = []
        for i in (n - Ed25519.signatureBytes)..<n { sig.append(image[i]) }
        guard Ed25519.verify(sig, body, publicKey: signer) else {
            throw WireError(.unauthenticated, "signature does not verify: the artifact was modified after signing")
        }
        // Signed from here on; every offset is still checked (a key holder can make mistakes).
        do throws(EdgeError) {
            try self.init(signedBody: body, signer: signer)
        } catch {
            throw WireError(.badArtifact, error.message)
        }
        guard SignedArtifact.validName(metadata.name) else {
            throw WireError(.badArtifact, "variant name '\(metadata.name)' is not 1-64 characters of [A-Za-z0-9._-]")
        }
    }

    private init(signedBody image: UnsafeRawBufferPointer, signer: [UInt8]) throws(EdgeError) {
        var h = ByteReader(image, context: "artifact")
        try h.skip(8, "magic")
        let modelAt = Int(truncatingIfNeeded: try h.u64("model offset"))
        let modelBytes = Int(truncatingIfNeeded: try h.u64("model bytes"))
        let testAt = Int(truncatingIfNeeded: try h.u64("self-test offset"))
        let testBytes = Int(truncatingIfNeeded: try h.u64("self-test bytes"))
        let version = try h.u64("version")
        try h.skip(32, "signer")
        let name = try h.string("name")
        let family = try h.string("family")
        let limit = image.count
        guard modelAt >= h.position, modelAt % 64 == 0, modelBytes >= 0, modelAt <= limit, modelBytes <= limit - modelAt,
              testAt >= modelAt + modelBytes, testAt <= limit, testBytes >= 0, testBytes <= limit - testAt else {
            throw EdgeError(.format, "artifact section offsets are out of bounds")
        }
        var t = ByteReader(UnsafeRawBufferPointer(rebasing: image[testAt..<(testAt + testBytes)]), context: "self-test")
        self.selfTestInputs = try SignedArtifact.readTensors(&t)
        self.selfTestOutputs = try SignedArtifact.readTensors(&t)
        self.metadata = ArtifactMetadata(name: name, version: version, family: family)
        self.signer = signer
        self.modelRange = modelAt..<(modelAt + modelBytes)
    }

    /// Names become file names in the store: keep them boring.
    public static func validName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard !u.isEmpty, u.count <= 64, u[0] != 46 else { return false }
        for c in u {
            let ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 46 || c == 95
            if !ok { return false }
        }
        return true
    }

    static func writeTensors(_ w: inout ByteWriter, _ ts: [GoldenTensor]) {
        w.u32(UInt32(ts.count))
        for t in ts {
            w.string(t.name)
            w.u32(UInt32(t.shape.count))
            for d in t.shape { w.u32(UInt32(d)) }
            w.u32(UInt32(t.values.count))
            for v in t.values { w.f32(v) }
        }
    }

    static func readTensors(_ r: inout ByteReader) throws(EdgeError) -> [GoldenTensor] {
        let n = try r.count("tensors", minBytesEach: 12)
        var out: [GoldenTensor] = []
        for _ in 0..<n {
            let name = try r.string("name")
            let rank = try r.count("rank", minBytesEach: 4)
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(try r.u32("dim"))) }
            let count = try r.count("values", minBytesEach: 4)
            var values: [Float] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try r.f32("value")) }
            out.append(GoldenTensor(name: name, shape: shape, values: values))
        }
        return out
    }
}
