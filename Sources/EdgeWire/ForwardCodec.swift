import CEdgeWire

// protobuf-c <-> Swift for the split-run messages (ForwardMessages.swift). Structural
// checks only (rank, sizes, encoding, counts); what the values mean is checked by
// EdgeTransfer's decoder against the shape the receiving slice expects.

extension CBuilder {
    mutating func transferTensor(_ t: TransferTensor) -> UnsafeMutablePointer<EdgeWire__TransferTensor> {
        let m = alloc(EdgeWire__TransferTensor.self)
        edge_wire__transfer_tensor__init(m)
        let shape = alloc(UInt32.self, count: t.shape.count)
        for (j, d) in t.shape.enumerated() { shape[j] = UInt32(truncatingIfNeeded: d) }
        m.pointee.n_shape = t.shape.count
        m.pointee.shape = shape
        m.pointee.encoding = EdgeWire__TransferTensor__Encoding(rawValue: UInt32(t.encoding))
        m.pointee.zlib = t.zlib ? 1 : 0
        m.pointee.raw_bytes = UInt32(truncatingIfNeeded: t.rawBytes)
        m.pointee.n_scale = t.scale.count
        m.pointee.scale = floats(t.scale)
        m.pointee.n_offset = t.offset.count
        m.pointee.offset = floats(t.offset)
        m.pointee.payload = binary(t.payload)
        return m
    }

    mutating func floats(_ v: [Float]) -> UnsafeMutablePointer<Float> {
        let p = alloc(Float.self, count: v.count)
        for (i, x) in v.enumerated() { p[i] = x }
        return p
    }

    mutating func forward(_ f: ForwardRequest) -> UnsafeMutablePointer<EdgeWire__Forward> {
        let m = alloc(EdgeWire__Forward.self)
        edge_wire__forward__init(m)
        m.pointee.tensor = transferTensor(f.tensor)
        let v = alloc(UInt64.self, count: f.visited.count)
        for (i, id) in f.visited.enumerated() { v[i] = id }
        m.pointee.n_visited = f.visited.count
        m.pointee.visited = v
        m.pointee.zlib_outputs = f.zlibOutputs ? 1 : 0
        return m
    }

    mutating func chainTrace(_ hops: [ChainHop]) -> UnsafeMutablePointer<EdgeWire__ChainTrace> {
        let m = alloc(EdgeWire__ChainTrace.self)
        edge_wire__chain_trace__init(m)
        let array = alloc(UnsafeMutablePointer<EdgeWire__ChainHop>?.self, count: hops.count)
        for (i, h) in hops.enumerated() {
            let c = alloc(EdgeWire__ChainHop.self)
            edge_wire__chain_hop__init(c)
            c.pointee.variant = cString(h.variant)
            c.pointee.compute_ns = h.computeNanos
            c.pointee.sent_bytes = h.sentBytes
            c.pointee.total_ns = h.totalNanos
            array[i] = c
        }
        m.pointee.n_hops = hops.count
        m.pointee.hops = array
        return m
    }

    mutating func setForward(_ t: ForwardTarget) -> UnsafeMutablePointer<EdgeWire__SetForward> {
        let m = alloc(EdgeWire__SetForward.self)
        edge_wire__set_forward__init(m)
        m.pointee.variant = cString(t.variant)
        m.pointee.host = cString(t.host)
        m.pointee.port = UInt32(truncatingIfNeeded: t.port)
        m.pointee.encoding = EdgeWire__TransferTensor__Encoding(rawValue: UInt32(t.encoding))
        m.pointee.zlib = t.zlib ? 1 : 0
        m.pointee.timeout_ms = t.timeoutMs
        return m
    }
}

func readEncoding(_ e: EdgeWire__TransferTensor__Encoding) throws(WireError) -> UInt8 {
    guard e.rawValue <= 2 else { throw WireError(.badRequest, "unknown transfer encoding \(e.rawValue)") }
    return UInt8(e.rawValue)
}

func readTransferTensor(_ p: UnsafeMutablePointer<EdgeWire__TransferTensor>?) throws(WireError) -> TransferTensor {
    guard let p else { throw WireError(.malformedFrame, "forward without a tensor") }
    let t = p.pointee
    guard t.n_shape <= 8 else { throw WireError(.badRequest, "transferred tensor has \(t.n_shape) dimensions (at most 8)") }
    var shape: [Int] = []
    var elements = 1
    for j in 0..<t.n_shape {
        let d = Int(t.shape[j])
        let (m, o) = elements.multipliedReportingOverflow(by: d)
        guard !o, m <= (1 << 30) else { throw WireError(.badRequest, "transferred tensor shape too large") }
        elements = m
        shape.append(d)
    }
    guard t.n_scale == t.n_offset, t.n_scale <= (1 << 20) else {
        throw WireError(.badRequest, "transferred tensor has \(t.n_scale) scales and \(t.n_offset) offsets")
    }
    var scale: [Float] = [], offset: [Float] = []
    for i in 0..<t.n_scale {
        scale.append(t.scale[i])
        offset.append(t.offset[i])
    }
    return TransferTensor(encoding: try readEncoding(t.encoding), shape: shape, zlib: t.zlib != 0, rawBytes: Int(t.raw_bytes),
                          scale: scale, offset: offset, payload: swiftBytes(t.payload))
}

func readForward(_ p: UnsafeMutablePointer<EdgeWire__Forward>) throws(WireError) -> ForwardRequest {
    let f = p.pointee
    guard f.n_visited <= ForwardRequest.maxAgents else {
        throw WireError(.badRequest, "forward already passed \(f.n_visited) agents (a chain has at most \(ForwardRequest.maxAgents))")
    }
    var visited: [UInt64] = []
    for i in 0..<f.n_visited { visited.append(f.visited[i]) }
    return ForwardRequest(tensor: try readTransferTensor(f.tensor), visited: visited, zlibOutputs: f.zlib_outputs != 0)
}

func readChainTrace(_ p: UnsafeMutablePointer<EdgeWire__ChainTrace>?) throws(WireError) -> [ChainHop] {
    guard let p, p.pointee.n_hops > 0, let hops = p.pointee.hops else { return [] }
    guard p.pointee.n_hops <= ForwardRequest.maxAgents else { throw WireError(.malformedFrame, "chain trace of \(p.pointee.n_hops) hops") }
    var out: [ChainHop] = []
    for i in 0..<p.pointee.n_hops {
        guard let h = hops[i] else { throw WireError(.malformedFrame, "null chain hop") }
        out.append(ChainHop(variant: swiftString(h.pointee.variant), computeNanos: h.pointee.compute_ns,
                            sentBytes: h.pointee.sent_bytes, totalNanos: h.pointee.total_ns))
    }
    return out
}

func readSetForward(_ p: UnsafeMutablePointer<EdgeWire__SetForward>) throws(WireError) -> ForwardTarget {
    let f = p.pointee
    guard f.port < 65536 else { throw WireError(.badRequest, "forward port \(f.port) out of range") }
    return ForwardTarget(variant: swiftString(f.variant), host: swiftString(f.host), port: Int32(f.port),
                         encoding: try readEncoding(f.encoding), zlib: f.zlib != 0, timeoutMs: f.timeout_ms)
}

extension TransferTensor {
    /// The serialized TransferTensor message: the bytes a forward carries for the tensor
    /// (what `edgec split` counts as `transfer_bytes`).
    public func encode() -> [UInt8] {
        var b = CBuilder()
        defer { b.freeAll() }
        let m = b.transferTensor(self)
        return m.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { packed($0) }
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> TransferTensor {
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let m = edge_wire__transfer_tensor__unpack(nil, bytes.count, base) else {
            throw WireError(.malformedFrame, "not a valid TransferTensor message")
        }
        defer { edge_wire__transfer_tensor__free_unpacked(m, nil) }
        return try readTransferTensor(m)
    }
}
