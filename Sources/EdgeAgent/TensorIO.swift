import EdgeFormat
import EdgeRuntime
import EdgeWire

/// Wire tensors <-> interpreter tensors: names and shapes checked, optional zlib.
enum TensorIO {
    static func writeInputs(_ given: [WireTensor], _ interp: Interpreter, _ inputIds: [Int]) throws(WireError) {
        for id in inputIds {
            let t = interp.model.tensors[id]
            var found: WireTensor? = nil
            for g in given where g.name == t.name { found = g }
            guard let g = found else { throw WireError(.badRequest, "input '\(t.name)' is missing") }
            guard g.shape == t.shape else {
                throw WireError(.badRequest, "input '\(t.name)' has shape \(ShapeText.of(g.shape)), the model takes \(ShapeText.of(t.shape))")
            }
            let raw = try rawBytes(g)
            do {
                try withBytes(raw) { r throws(EdgeError) in
                    let f = UnsafeBufferPointer(start: r.baseAddress?.assumingMemoryBound(to: Float.self), count: r.count / 4)
                    try interp.write(tensor: id, f)
                }
            } catch {
                throw WireError(.badRequest, error.message)
            }
        }
        if given.count != inputIds.count {
            throw WireError(.badRequest, "\(given.count) inputs given, the model takes \(inputIds.count)")
        }
    }

    static func rawBytes(_ g: WireTensor) throws(WireError) -> [UInt8] {
        let want = g.elementCount * 4
        if !g.zlib {
            guard g.data.count == want else {
                throw WireError(.badRequest, "input '\(g.name)' carries \(g.data.count) bytes, its shape needs \(want)")
            }
            return g.data
        }
        var out = [UInt8](repeating: 0, count: want)
        do {
            try withBytes(g.data) { src throws(EdgeError) in
                try withMutableBytes(&out) { dst throws(EdgeError) in try Zlib.decompress(src, into: dst) }
            }
        } catch {
            throw WireError(.badRequest, "input '\(g.name)': \(error.message)")
        }
        return out
    }

    static func readOutputs(_ interp: Interpreter, _ outputIds: [Int], zlib: Bool) throws(WireError) -> [WireTensor] {
        var outs: [WireTensor] = []
        for id in outputIds {
            let t = interp.model.tensors[id]
            let values = interp.read(tensor: id)
            var bytes = Array(UnsafeRawBufferPointer(values))
            if zlib {
                do { bytes = try Zlib.compress(bytes, level: 1) } catch { throw WireError(.internalError, error.message) }
            }
            outs.append(WireTensor(name: t.name, shape: t.shape, data: bytes, zlib: zlib))
        }
        return outs
    }
}
