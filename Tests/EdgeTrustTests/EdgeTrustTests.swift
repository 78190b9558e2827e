import Foundation
import XCTest
import EdgeTestSupport
import EdgeWire
@testable import EdgeTrust

final class EdgeTrustTests: XCTestCase {
    static let fixtures = TestPaths.fixtures.appendingPathComponent("ed25519_speccheck")

    /// libsodium's verifier on the speccheck cases: only case 3 (a plain valid signature
    /// with mixed-order points) passes; small order, S >= L and non-canonical are refused.
    func testSpeccheckVectors() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("cases.json"))
        let cases = try JSONSerialization.jsonObject(with: data) as! [[String: String]]
        XCTAssertEqual(cases.count, 12)
        var accepted: [Int] = []
        for (i, c) in cases.enumerated() {
            let msg = Hex.decode(c["message"]!)!, pk = Hex.decode(c["pub_key"]!)!, sig = Hex.decode(c["signature"]!)!
            if msg.withUnsafeBytes({ Ed25519.verify(sig, $0, publicKey: pk) }) { accepted.append(i) }
        }
        XCTAssertEqual(accepted, [3], "speccheck cases accepted by crypto_sign_verify_detached")
    }

    func testSignVerifyAndHex() {
        let (pk, sk) = Ed25519.keypair()
        XCTAssertEqual(Ed25519.publicKey(ofSecret: sk), pk)
        let msg: [UInt8] = Array("hello edge".utf8)
        let sig = msg.withUnsafeBytes { Ed25519.sign($0, secretKey: sk) }
        XCTAssertTrue(msg.withUnsafeBytes { Ed25519.verify(sig, $0, publicKey: pk) })
        var bad = sig; bad[10] ^= 1
        XCTAssertFalse(msg.withUnsafeBytes { Ed25519.verify(bad, $0, publicKey: pk) })
        XCTAssertEqual(Hex.decode(Hex.encode(sk)), sk)
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
        XCTAssertEqual(Hex.encode(Sha256.digest([UInt8]())), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    private func artifact(_ sk: [UInt8], name: String = "m1", version: UInt64 = 3) -> [UInt8] {
        let model: [UInt8] = Array("EDGM".utf8) + [UInt8](repeating: 7, count: 200)
        return SignedArtifact.build(model: model, metadata: ArtifactMetadata(name: name, version: version, family: "digits"),
                                    inputs: [GoldenTensor(name: "x", shape: [1, 2], values: [1, 2])],
                                    outputs: [GoldenTensor(name: "y", shape: [1], values: [3])], secretKey: sk)
    }

    private func refusal(_ bytes: [UInt8], _ trusted: [[UInt8]]) -> WireError? {
        bytes.withUnsafeBytes { raw in
            do throws(WireError) { _ = try SignedArtifact(verifying: raw, trusted: trusted); return nil } catch { return error }
        }
    }

    func testArtifactRoundTrip() throws {
        let (pk, sk) = Ed25519.keypair()
        let bytes = artifact(sk)
        let a = try bytes.withUnsafeBytes { raw throws(WireError) in try SignedArtifact(verifying: raw, trusted: [pk]) }
        XCTAssertEqual(a.metadata.name, "m1"); XCTAssertEqual(a.metadata.version, 3); XCTAssertEqual(a.metadata.family, "digits")
        XCTAssertEqual(a.modelRange.lowerBound % 64, 0)
        XCTAssertEqual(Array(bytes[a.modelRange.lowerBound..<a.modelRange.lowerBound + 4]), Array("EDGM".utf8))
        XCTAssertEqual(a.selfTestInputs[0].values, [1, 2]); XCTAssertEqual(a.selfTestOutputs[0].name, "y")
    }

    func testEveryTamperedByteIsRefused() {
        let (pk, sk) = Ed25519.keypair()
        let bytes = artifact(sk)
        for i in stride(from: 0, to: bytes.count, by: 1) {
            var t = bytes; t[i] ^= 0x20
            XCTAssertNotNil(refusal(t, [pk]), "flipping byte \(i) was accepted")
        }
        for cut in [0, 3, 80, bytes.count / 2, bytes.count - 1] {
            XCTAssertNotNil(refusal(Array(bytes[0..<cut]), [pk]), "truncation at \(cut) was accepted")
        }
    }

    func testWrongKeyAndUnsignedAreRefusedWithTheirReason() {
        let (_, sk) = Ed25519.keypair()
        let (other, _) = Ed25519.keypair()
        let e = refusal(artifact(sk), [other])
        XCTAssertEqual(e?.code, .unauthenticated)
        XCTAssertTrue(e?.message.contains("does not trust") ?? false, e?.message ?? "")
        let plain = refusal(Array("EDGM".utf8) + [UInt8](repeating: 0, count: 100), [other])
        XCTAssertTrue(plain?.message.hasPrefix("unsigned") ?? false)
        XCTAssertEqual(refusal(artifact(sk, name: "../etc"), [Ed25519.publicKey(ofSecret: sk)])?.code, .badArtifact)
    }

    func testCommandAuthentication() throws {
        let (pk, sk) = Ed25519.keypair()
        let (other, _) = Ed25519.keypair()
        guard case .signed(let cmd, let sig) = CommandAuth.sign(Command(counter: 9, action: .activate(name: "a")), secretKey: sk)
        else { return XCTFail() }
        let c = try CommandAuth.open(command: cmd, signature: sig, trusted: [pk])
        XCTAssertEqual(c.counter, 9)
        XCTAssertThrowsError(try CommandAuth.open(command: cmd, signature: sig, trusted: [other]))
        var changed = cmd; changed[1] ^= 1
        XCTAssertThrowsError(try CommandAuth.open(command: changed, signature: sig, trusted: [pk]))
        // An artifact signature is never a command signature (domain prefixes differ).
        let art = artifact(sk)
        let artSig = Array(art[(art.count - 64)...])
        XCTAssertThrowsError(try CommandAuth.open(command: Array(art[0..<(art.count - 64)]), signature: artSig, trusted: [pk]))
    }
}
