import EdgeFormat
import EdgeRuntime
import EdgeTrust

/// `edgec sign`: wraps a .edgm with metadata and a self-test computed by our own
/// interpreter, and signs it (Formats/ARTIFACT.md).
public enum ArtifactSigner {
    public static func sign(model: [UInt8], metadata: ArtifactMetadata, secretKey: [UInt8]) throws -> [UInt8] {
        let interp = try Interpreter(bytes: model)
        var inputs: [GoldenTensor] = []
        var state: UInt32 = 0x5eed
        for id in interp.model.graph.inputs {
            let t = interp.model.tensors[Int(id)]
            var values: [Float] = []
            values.reserveCapacity(t.elementCount)
            for _ in 0..<t.elementCount {
                // xorshift32, mapped to [-1, 1)
                state ^= state << 13; state ^= state >> 17; state ^= state << 5
                values.append(Float(state >> 8) / Float(1 << 23) - 1)
            }
            try values.withUnsafeBufferPointer { try interp.write(tensor: Int(id), $0) }
            inputs.append(GoldenTensor(name: t.name, shape: t.shape, values: values))
        }
        interp.run()
        var outputs: [GoldenTensor] = []
        for id in interp.model.graph.outputs {
            let t = interp.model.tensors[Int(id)]
            outputs.append(GoldenTensor(name: t.name, shape: t.shape, values: Array(interp.read(tensor: Int(id)))))
        }
        return SignedArtifact.build(model: model, metadata: metadata, inputs: inputs, outputs: outputs, secretKey: secretKey)
    }
}
