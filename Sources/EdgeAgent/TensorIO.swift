import EdgeFormat
import EdgeRuntime
import EdgeTransfer
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

    /// A forwarded slice input: decoded straight into the slice's single input tensor.
    static func writeTransfer(_ t: TransferTensor, _ interp: Interpreter, _ inputIds: [Int]) throws(WireError) {
        guard inputIds.count == 1 else {
            throw WireError(.badRequest, "a forwarded tensor needs a slice with one input, the active variant takes \(inputIds.count)")
        }
        let id = inputIds[0]
        let m = interp.model.tensors[id]
        let target = UnsafeMutableBufferPointer(start: interp.tensors[id].data, count: m.elementCount)
        do { try TransferCodec.decode(t, expected: m.shape, into: target) } catch {
            throw WireError(.badRequest, "forwarded input '\(m.name)': \(error.message)")
        }
    }

    /// The slice's single output, encoded for the next agent as the forward asks.
    static func encodeTransfer(_ interp: Interpreter, _ outputIds: [Int], _ target: ForwardTarget) throws(WireError) -> TransferTensor {
        guard outputIds.count == 1 else {
            throw WireError(.badRequest, "forwarding needs a slice with one output, the active variant has \(outputIds.count)")
        }
        guard let encoding = TransferEncoding(rawValue: target.encoding) else {
            throw WireError(.badRequest, "unknown transfer encoding \(target.encoding)")
        }
        let id = outputIds[0]
        do {
            return try TransferCodec.encode(interp.read(tensor: id), shape: interp.model.tensors[id].shape, encoding: encoding,
                                            compress: target.zlib)
        } catch {
            throw WireError(.internalError, error.message)
        }
    }
}
