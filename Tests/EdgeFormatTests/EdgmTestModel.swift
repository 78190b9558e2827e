import EdgeFormat

/// A small valid model built by hand: X[1,4] -> copy -> Y[1,4], one 64-float weight.
enum EdgmTestModel {
    static func model() -> EdgmModel {
        let tensors = [
            EdgmTensor(name: "x", storage: .arena, shape: [1, 4], offset: 0, byteCount: 16),
            EdgmTensor(name: "y", storage: .arena, shape: [1, 4], offset: 64, byteCount: 16),
            EdgmTensor(name: "w", storage: .weight, shape: [64], offset: 0, byteCount: 256),
        ]
        let ops = [OpDescription(code: .copy, name: "copy0", inputs: [0], outputs: [1], ints: [], floats: [])]
        return EdgmModel(
            metadata: [MetaEntry("model.name", .string("tiny")), MetaEntry("list", .ints([1, 2, 3])),
                       MetaEntry("names", .strings(["a", "b"])), MetaEntry("pi", .float(3.25)), MetaEntry("n", .int(-7))],
            graph: EdgmGraph(arenaBytes: 128, arenaLowerBound: 32, inputs: [0], outputs: [1]),
            tensors: tensors, ops: ops)
    }

    static func weights() -> [UInt8] {
        var w = ByteWriter()
        for i in 0..<64 { w.f32(Float(i) * 0.5) }
        return w.bytes
    }

    static func bytes(compress: Bool = false) throws(EdgeError) -> [UInt8] {
        try EdgmWriter.serialize(model(), weights: weights(), compressWeights: compress)
    }

    /// Parses through the public reader, keeping the image alive for the call.
    static func parse(_ bytes: [UInt8], verify: Bool = true) -> Result<EdgmFile, EdgeError> {
        bytes.withUnsafeBytes { raw -> Result<EdgmFile, EdgeError> in
            do throws(EdgeError) { return .success(try EdgmFile(image: raw, verifyChecksums: verify)) } catch { return .failure(error) }
        }
    }
}
