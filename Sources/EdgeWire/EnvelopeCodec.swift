import CEdgeWire
import EdgeRoma

/// Builds protobuf-c structs from Swift values. Every C allocation is recorded and
/// freed together when the builder is done (after packing).
struct CBuilder {
    private var allocations: [UnsafeMutableRawPointer] = []

    mutating func alloc<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        let p = edge_wire_calloc(count, MemoryLayout<T>.stride)!
        allocations.append(p)
        return p.assumingMemoryBound(to: T.self)
    }

    mutating func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        var utf8: [UInt8] = Array(s.utf8)
        utf8.append(0)
        let p = alloc(CChar.self, count: utf8.count)
        utf8.withUnsafeBytes { src in UnsafeMutableRawPointer(p).copyMemory(from: src.baseAddress!, byteCount: src.count) }
        return p
    }

    mutating func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let p = alloc(UInt8.self, count: bytes.count)
        bytes.withUnsafeBytes { src in
            if let b = src.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: b, byteCount: src.count) }
        }
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    func freeAll() {
        for p in allocations { free(p) }
    }
}

@inline(__always)
func packed(_ message: UnsafePointer<ProtobufCMessage>) -> [UInt8] {
    let n = protobuf_c_message_get_packed_size(message)
    var out = [UInt8](repeating: 0, count: n)
    out.withUnsafeMutableBytes { dst in
        _ = protobuf_c_message_pack(message, dst.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }
    return out
}

func swiftString(_ p: UnsafeMutablePointer<CChar>?) -> String {
    guard let p else { return "" }
    return String(cString: p)
}

func swiftBytes(_ b: ProtobufCBinaryData) -> [UInt8] {
    guard b.len > 0, let d = b.data else { return [] }
    return Array(UnsafeBufferPointer(start: d, count: b.len))
}

func swiftFloats(_ n: Int, _ p: UnsafeMutablePointer<Float>?) -> [Float] {
    guard n > 0, let p else { return [] }
    return Array(UnsafeBufferPointer(start: p, count: n))
}

extension CBuilder {
    mutating func floats(_ v: [Float]) -> (Int, UnsafeMutablePointer<Float>?) {
        guard !v.isEmpty else { return (0, nil) }
        let p = alloc(Float.self, count: v.count)
        for (i, x) in v.enumerated() { p[i] = x }
        return (v.count, p)
    }

    /// A C array of dimensions (shape fields are repeated uint32).
    mutating func dims(_ shape: [Int]) -> UnsafeMutablePointer<UInt32> {
        let p = alloc(UInt32.self, count: shape.count)
        for (j, d) in shape.enumerated() { p[j] = UInt32(truncatingIfNeeded: d) }
        return p
    }

    mutating func tensors(_ ts: [WireTensor]) -> UnsafeMutablePointer<UnsafeMutablePointer<EdgeWire__Tensor>?> {
        let array = alloc(UnsafeMutablePointer<EdgeWire__Tensor>?.self, count: ts.count)
        for (i, t) in ts.enumerated() {
            let c = alloc(EdgeWire__Tensor.self)
            edge_wire__tensor__init(c)
            c.pointee.name = cString(t.name)
            c.pointee.n_shape = t.shape.count
            c.pointee.shape = dims(t.shape)
            c.pointee.data = binary(t.data)
            c.pointee.zlib = t.zlib ? 1 : 0
            array[i] = c
        }
        return array
    }
}

func readTensors(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<EdgeWire__Tensor>?>?) throws(WireError) -> [WireTensor] {
    var out: [WireTensor] = []
    guard n > 0, let p else { return out }
    for i in 0..<n {
        guard let t = p[i] else { throw WireError(.malformedFrame, "null tensor") }
        var shape: [Int] = []
        var elements = 1
        for j in 0..<t.pointee.n_shape {
            let d = Int(t.pointee.shape[j])
            shape.append(d)
            // Bounds the element count so later byte arithmetic cannot overflow.
            let (m, o) = elements.multipliedReportingOverflow(by: d)
            guard !o, m <= (1 << 30) else { throw WireError(.badRequest, "tensor shape too large") }
            elements = m
        }
        guard shape.count <= 8 else { throw WireError(.badRequest, "tensor has \(shape.count) dimensions (at most 8)") }
        out.append(WireTensor(name: swiftString(t.pointee.name), shape: shape,
                              data: swiftBytes(t.pointee.data), zlib: t.pointee.zlib != 0))
    }
    return out
}

extension Envelope {
    /// The protobuf body of a frame (no header).
    public func encode() -> [UInt8] {
        var b = CBuilder()
        defer { b.freeAll() }
        let env = b.alloc(EdgeWire__Envelope.self)
        edge_wire__envelope__init(env)
        env.pointee.request_id = requestId
        switch message {
        case .infer(let r):
            env.pointee.kind = EDGE_WIRE__KIND__INFER
            let m = b.alloc(EdgeWire__Infer.self)
            edge_wire__infer__init(m)
            m.pointee.n_inputs = r.inputs.count
            m.pointee.inputs = b.tensors(r.inputs)
            m.pointee.zlib_outputs = r.zlibOutputs ? 1 : 0
            env.pointee.infer = m
        case .inferReply(let r):
            env.pointee.kind = EDGE_WIRE__KIND__INFER_REPLY
            let m = b.alloc(EdgeWire__InferReply.self)
            edge_wire__infer_reply__init(m)
            m.pointee.n_outputs = r.outputs.count
            m.pointee.outputs = b.tensors(r.outputs)
            m.pointee.variant = b.cString(r.variant)
            m.pointee.variant_version = r.variantVersion
            m.pointee.latency_ns = r.latencyNanos
            env.pointee.infer_reply = m
            if !r.chain.isEmpty { env.pointee.chain = b.chainTrace(r.chain) }
        case .forward(let f):
            env.pointee.kind = EDGE_WIRE__KIND__FORWARD
            env.pointee.forward = b.forward(f)
        case .signed(let command, let signature):
            env.pointee.kind = EDGE_WIRE__KIND__SIGNED
            let m = b.alloc(EdgeWire__Signed.self)
            edge_wire__signed__init(m)
            m.pointee.command = b.binary(command)
            m.pointee.signature = b.binary(signature)
            env.pointee.signed_ = m
        case .pushChunk(let offset, let data):
            env.pointee.kind = EDGE_WIRE__KIND__PUSH_CHUNK
            let m = b.alloc(EdgeWire__PushChunk.self)
            edge_wire__push_chunk__init(m)
            m.pointee.offset = offset
            m.pointee.data = b.binary(data)
            env.pointee.push_chunk = m
        case .status:
            env.pointee.kind = EDGE_WIRE__KIND__STATUS
        case .statusReply(let s):
            env.pointee.kind = EDGE_WIRE__KIND__STATUS_REPLY
            let m = b.alloc(EdgeWire__Status.self)
            edge_wire__status__init(m)
            m.pointee.active = b.cString(s.active)
            m.pointee.previous = b.cString(s.previous)
            let vs = b.alloc(UnsafeMutablePointer<EdgeWire__VariantInfo>?.self, count: s.variants.count)
            for (i, v) in s.variants.enumerated() {
                let c = b.alloc(EdgeWire__VariantInfo.self)
                edge_wire__variant_info__init(c)
                c.pointee.name = b.cString(v.name)
                c.pointee.version = v.version
                c.pointee.bytes = v.bytes
                c.pointee.family = b.cString(v.family)
                c.pointee.resident = v.resident ? 1 : 0
                vs[i] = c
            }
            m.pointee.n_variants = s.variants.count
            m.pointee.variants = vs
            m.pointee.served = s.served
            m.pointee.failed = s.failed
            m.pointee.switches = s.switches
            m.pointee.last_counter = s.lastCounter
            m.pointee.refused = s.refused
            m.pointee.connections = s.connections
            m.pointee.rss_bytes = s.rssBytes
            m.pointee.switch_p50_ns = s.switchP50Nanos
            m.pointee.switch_p99_ns = s.switchP99Nanos
            m.pointee.switch_samples = s.switchSamples
            m.pointee.last_cold_load_ns = s.lastColdLoadNanos
            m.pointee.policy_budget_ms = s.policyBudgetMs
            m.pointee.policy_switches = s.policySwitches
            m.pointee.recent_p95_ms = s.recentP95Ms
            m.pointee.forward_to = b.cString(s.forwardTo)
            m.pointee.forward_variant = b.cString(s.forwardVariant)
            m.pointee.forwarded = s.forwarded
            m.pointee.forward_failed = s.forwardFailed
            m.pointee.agent_id = s.agentId
            let es = b.alloc(UnsafeMutablePointer<EdgeWire__RomaEstimate>?.self, count: s.romaEstimates.count)
            for (i, e) in s.romaEstimates.enumerated() {
                let c = b.alloc(EdgeWire__RomaEstimate.self)
                edge_wire__roma_estimate__init(c)
                c.pointee.name = b.cString(e.name)
                c.pointee.accuracy = e.accuracy
                c.pointee.latency_ms = e.latencyMs
                es[i] = c
            }
            m.pointee.n_roma_estimates = s.romaEstimates.count
            m.pointee.roma_estimates = es
            m.pointee.roma_current = b.cString(s.romaCurrent)
            m.pointee.roma_switches = s.romaSwitches
            m.pointee.roma_outputs = s.romaOutputs
            m.pointee.roma_interval_ms = s.romaIntervalMs
            m.pointee.first_run_rollbacks = s.firstRunRollbacks
            m.pointee.arena_bytes = s.arenaBytes
            m.pointee.max_resident = s.maxResident
            env.pointee.status = m
        case .ok(let text):
            env.pointee.kind = EDGE_WIRE__KIND__OK
            let m = b.alloc(EdgeWire__Result.self)
            edge_wire__result__init(m)
            m.pointee.message = b.cString(text)
            env.pointee.result = m
        case .refused(let code, let text):
            env.pointee.kind = EDGE_WIRE__KIND__ERROR
            let m = b.alloc(EdgeWire__Result.self)
            edge_wire__result__init(m)
            m.pointee.code = code.rawValue
            m.pointee.message = b.cString(text)
            env.pointee.result = m
        case .bench(let r):
            env.pointee.kind = EDGE_WIRE__KIND__BENCH
            let m = b.alloc(EdgeWire__Bench.self)
            edge_wire__bench__init(m)
            m.pointee.variant = b.cString(r.variant)
            m.pointee.iterations = UInt32(truncatingIfNeeded: r.iterations)
            env.pointee.bench = m
        case .benchReply(let r):
            env.pointee.kind = EDGE_WIRE__KIND__BENCH_REPLY
            let m = b.alloc(EdgeWire__BenchReply.self)
            edge_wire__bench_reply__init(m)
            m.pointee.variant = b.cString(r.variant)
            m.pointee.variant_version = r.variantVersion
            m.pointee.iterations = UInt32(truncatingIfNeeded: r.iterations)
            m.pointee.model_sha256 = b.binary(r.modelSha256)
            m.pointee.total_seconds = r.totalSeconds
            let ls = b.alloc(UnsafeMutablePointer<EdgeWire__LayerTime>?.self, count: r.layers.count)
            for (i, l) in r.layers.enumerated() {
                let c = b.alloc(EdgeWire__LayerTime.self)
                edge_wire__layer_time__init(c)
                c.pointee.op = b.cString(l.op)
                c.pointee.seconds = l.seconds
                c.pointee.output_bytes = l.outputBytes
                c.pointee.n_output_shape = l.outputShape.count
                c.pointee.output_shape = b.dims(l.outputShape)
                ls[i] = c
            }
            m.pointee.n_layers = r.layers.count
            m.pointee.layers = ls
            env.pointee.bench_reply = m
        }
        return env.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { packed($0) }
    }

    /// Parses a frame body. Any byte string gives either an Envelope or a WireError.
    public static func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> Envelope {
        let base = body.baseAddress?.assumingMemoryBound(to: UInt8.self)
        // protobuf-c reads nothing for an empty body, so a nil base is fine there.
        guard let env = edge_wire__envelope__unpack(nil, body.count, base) else {
            throw WireError(.malformedFrame, "frame body is not a valid Envelope message")
        }
        defer { edge_wire__envelope__free_unpacked(env, nil) }
        let e = env.pointee
        let message: Message
        switch e.kind {
        case EDGE_WIRE__KIND__INFER:
            guard let m = e.infer else { throw WireError(.malformedFrame, "INFER frame without an infer body") }
            message = .infer(InferRequest(inputs: try readTensors(m.pointee.n_inputs, m.pointee.inputs),
                                          zlibOutputs: m.pointee.zlib_outputs != 0))
        case EDGE_WIRE__KIND__INFER_REPLY:
            guard let m = e.infer_reply else { throw WireError(.malformedFrame, "INFER_REPLY frame without a body") }
            message = .inferReply(InferReply(outputs: try readTensors(m.pointee.n_outputs, m.pointee.outputs),
                                             variant: swiftString(m.pointee.variant),
                                             variantVersion: m.pointee.variant_version,
                                             latencyNanos: m.pointee.latency_ns,
                                             chain: try readChainTrace(e.chain)))
        case EDGE_WIRE__KIND__FORWARD:
            guard let m = e.forward else { throw WireError(.malformedFrame, "FORWARD frame without a forward body") }
            message = .forward(try readForward(m))
        case EDGE_WIRE__KIND__SIGNED:
            guard let m = e.signed_ else { throw WireError(.malformedFrame, "SIGNED frame without a body") }
            message = .signed(command: swiftBytes(m.pointee.command), signature: swiftBytes(m.pointee.signature))
        case EDGE_WIRE__KIND__PUSH_CHUNK:
            guard let m = e.push_chunk else { throw WireError(.malformedFrame, "PUSH_CHUNK frame without a body") }
            message = .pushChunk(offset: m.pointee.offset, data: swiftBytes(m.pointee.data))
        case EDGE_WIRE__KIND__STATUS:
            message = .status
        case EDGE_WIRE__KIND__STATUS_REPLY:
            guard let m = e.status else { throw WireError(.malformedFrame, "STATUS_REPLY frame without a body") }
            var s = AgentStatus()
            s.active = swiftString(m.pointee.active)
            s.previous = swiftString(m.pointee.previous)
            for i in 0..<m.pointee.n_variants {
                guard let v = m.pointee.variants[i] else { continue }
                s.variants.append(VariantInfo(name: swiftString(v.pointee.name), version: v.pointee.version,
                                              bytes: v.pointee.bytes, family: swiftString(v.pointee.family),
                                              resident: v.pointee.resident != 0))
            }
            s.served = m.pointee.served
            s.failed = m.pointee.failed
            s.switches = m.pointee.switches
            s.lastCounter = m.pointee.last_counter
            s.refused = m.pointee.refused
            s.connections = m.pointee.connections
            s.rssBytes = m.pointee.rss_bytes
            s.switchP50Nanos = m.pointee.switch_p50_ns
            s.switchP99Nanos = m.pointee.switch_p99_ns
            s.switchSamples = m.pointee.switch_samples
            s.lastColdLoadNanos = m.pointee.last_cold_load_ns
            s.policyBudgetMs = m.pointee.policy_budget_ms
            s.policySwitches = m.pointee.policy_switches
            s.recentP95Ms = m.pointee.recent_p95_ms
            s.forwardTo = swiftString(m.pointee.forward_to)
            s.forwardVariant = swiftString(m.pointee.forward_variant)
            s.forwarded = m.pointee.forwarded
            s.forwardFailed = m.pointee.forward_failed
            s.agentId = m.pointee.agent_id
            for i in 0..<m.pointee.n_roma_estimates {
                guard let e = m.pointee.roma_estimates[i] else { continue }
                s.romaEstimates.append(RomaEstimate(name: swiftString(e.pointee.name), accuracy: e.pointee.accuracy,
                                                    latencyMs: e.pointee.latency_ms))
            }
            s.romaCurrent = swiftString(m.pointee.roma_current)
            s.romaSwitches = m.pointee.roma_switches
            s.romaOutputs = m.pointee.roma_outputs
            s.romaIntervalMs = m.pointee.roma_interval_ms
            s.firstRunRollbacks = m.pointee.first_run_rollbacks
            s.arenaBytes = m.pointee.arena_bytes
            s.maxResident = m.pointee.max_resident
            message = .statusReply(s)
        case EDGE_WIRE__KIND__OK:
            message = .ok(e.result.map { swiftString($0.pointee.message) } ?? "")
        case EDGE_WIRE__KIND__ERROR:
            guard let m = e.result else { throw WireError(.malformedFrame, "ERROR frame without a result") }
            let code = RefusalCode(rawValue: m.pointee.code) ?? .internalError
            message = .refused(code, swiftString(m.pointee.message))
        case EDGE_WIRE__KIND__BENCH:
            guard let m = e.bench else { throw WireError(.malformedFrame, "BENCH frame without a bench body") }
            message = .bench(BenchRequest(variant: swiftString(m.pointee.variant), iterations: Int(m.pointee.iterations)))
        case EDGE_WIRE__KIND__BENCH_REPLY:
            guard let m = e.bench_reply else { throw WireError(.malformedFrame, "BENCH_REPLY frame without a body") }
            var layers: [LayerTime] = []
            for i in 0..<m.pointee.n_layers {
                guard let l = m.pointee.layers[i] else { throw WireError(.malformedFrame, "null layer time") }
                var shape: [Int] = []
                for j in 0..<l.pointee.n_output_shape { shape.append(Int(l.pointee.output_shape[j])) }
                layers.append(LayerTime(op: swiftString(l.pointee.op), seconds: l.pointee.seconds,
                                        outputBytes: l.pointee.output_bytes, outputShape: shape))
            }
            message = .benchReply(BenchReply(variant: swiftString(m.pointee.variant), variantVersion: m.pointee.variant_version,
                                             iterations: Int(m.pointee.iterations), layers: layers,
                                             modelSha256: swiftBytes(m.pointee.model_sha256), totalSeconds: m.pointee.total_seconds))
        default:
            throw WireError(.malformedFrame, "unknown frame kind \(e.kind.rawValue)")
        }
        return Envelope(requestId: e.request_id, message)
    }
}

extension Command {
    /// Serialized Command message (what gets signed).
    public func encode() -> [UInt8] {
        var b = CBuilder()
        defer { b.freeAll() }
        let c = b.alloc(EdgeWire__Command.self)
        edge_wire__command__init(c)
        c.pointee.counter = counter
        switch action {
        case .push(let total, let digest, let activate):
            let m = b.alloc(EdgeWire__PushBegin.self)
            edge_wire__push_begin__init(m)
            m.pointee.total_bytes = total
            m.pointee.sha256 = b.binary(digest)
            m.pointee.activate = activate ? 1 : 0
            c.pointee.push = m
        case .activate(let name):
            let m = b.alloc(EdgeWire__Activate.self)
            edge_wire__activate__init(m)
            m.pointee.name = b.cString(name)
            c.pointee.activate = m
        case .rollback:
            let m = b.alloc(EdgeWire__Rollback.self)
            edge_wire__rollback__init(m)
            c.pointee.rollback = m
        case .policy(let spec):
            let m = b.alloc(EdgeWire__SetPolicy.self)
            edge_wire__set_policy__init(m)
            m.pointee.budget_ms = spec.budgetMs
            let vs = b.alloc(UnsafeMutablePointer<EdgeWire__PolicyVariant>?.self, count: spec.variants.count)
            for (i, v) in spec.variants.enumerated() {
                let pv = b.alloc(EdgeWire__PolicyVariant.self)
                edge_wire__policy_variant__init(pv)
                pv.pointee.name = b.cString(v.name)
                pv.pointee.accuracy = v.accuracy
                pv.pointee.latency_ms = v.latencyMs
                vs[i] = pv
            }
            m.pointee.n_variants = spec.variants.count
            m.pointee.variants = vs
            c.pointee.policy = m
        case .forward(let t):
            c.pointee.forward = b.setForward(t)
        case .roma(let spec):
            let m = b.alloc(EdgeWire__SetRomaPolicy.self)
            edge_wire__set_roma_policy__init(m)
            let ds = b.alloc(UnsafeMutablePointer<EdgeWire__RomaDetector>?.self, count: spec.detectors.count)
            for (i, d) in spec.detectors.enumerated() {
                let c = b.alloc(EdgeWire__RomaDetector.self)
                edge_wire__roma_detector__init(c)
                c.pointee.name = b.cString(d.name)
                c.pointee.ap50 = Double(d.ap50)
                (c.pointee.n_ap50_by_size, c.pointee.ap50_by_size) = b.floats(d.ap50BySize)
                (c.pointee.n_recall_by_size, c.pointee.recall_by_size) = b.floats(d.recallBySize)
                (c.pointee.n_beta_by_size, c.pointee.beta_by_size) = b.floats(d.betaBySize)
                c.pointee.latency_median_ms = d.latencyMedianMs
                c.pointee.latency_p90_ms = d.latencyP90Ms
                ds[i] = c
            }
            m.pointee.n_detectors = spec.detectors.count
            m.pointee.detectors = ds
            (m.pointee.n_size_bins_px, m.pointee.size_bins_px) = b.floats(spec.sizeBinsPx)
            m.pointee.frame_width = UInt32(truncatingIfNeeded: spec.frameWidth)
            m.pointee.frame_height = UInt32(truncatingIfNeeded: spec.frameHeight)
            m.pointee.score_min = spec.scoreMin
            m.pointee.max_detections = UInt32(truncatingIfNeeded: spec.maxDetections)
            m.pointee.output = b.cString(spec.output)
            m.pointee.frame_interval_ms = spec.frameIntervalMs
            c.pointee.roma = m
        }
        return c.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { packed($0) }
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Command {
        let parsed: UnsafeMutablePointer<EdgeWire__Command>? = bytes.withUnsafeBufferPointer { buf in
            edge_wire__command__unpack(nil, buf.count, buf.baseAddress)
        }
        guard let c = parsed else { throw WireError(.malformedFrame, "signed command is not a valid Command message") }
        defer { edge_wire__command__free_unpacked(c, nil) }
        let set = (c.pointee.push != nil ? 1 : 0) + (c.pointee.activate != nil ? 1 : 0) + (c.pointee.rollback != nil ? 1 : 0)
            + (c.pointee.policy != nil ? 1 : 0) + (c.pointee.forward != nil ? 1 : 0) + (c.pointee.roma != nil ? 1 : 0)
        guard set == 1 else { throw WireError(.malformedFrame, "a Command must ask for exactly one action, asks for \(set)") }
        let action: CommandAction
        if let p = c.pointee.push {
            action = .push(totalBytes: p.pointee.total_bytes, sha256: swiftBytes(p.pointee.sha256), activate: p.pointee.activate != 0)
        } else if let a = c.pointee.activate {
            action = .activate(name: swiftString(a.pointee.name))
        } else if let p = c.pointee.policy {
            var vs: [PolicyVariant] = []
            for i in 0..<p.pointee.n_variants {
                guard let v = p.pointee.variants[i] else { continue }
                vs.append(PolicyVariant(name: swiftString(v.pointee.name), accuracy: v.pointee.accuracy, latencyMs: v.pointee.latency_ms))
            }
            action = .policy(PolicySpec(variants: vs, budgetMs: p.pointee.budget_ms))
        } else if let f = c.pointee.forward {
            action = .forward(try readSetForward(f))
        } else if let r = c.pointee.roma {
            var ds: [DetectorProfile] = []
            for i in 0..<r.pointee.n_detectors {
                guard let d = r.pointee.detectors[i] else { continue }
                ds.append(DetectorProfile(name: swiftString(d.pointee.name), ap50: Float(d.pointee.ap50),
                                           ap50BySize: swiftFloats(d.pointee.n_ap50_by_size, d.pointee.ap50_by_size),
                                           recallBySize: swiftFloats(d.pointee.n_recall_by_size, d.pointee.recall_by_size),
                                           betaBySize: swiftFloats(d.pointee.n_beta_by_size, d.pointee.beta_by_size),
                                           latencyMedianMs: d.pointee.latency_median_ms, latencyP90Ms: d.pointee.latency_p90_ms))
            }
            action = .roma(RomaPolicySpec(detectors: ds, sizeBinsPx: swiftFloats(r.pointee.n_size_bins_px, r.pointee.size_bins_px),
                                          frameWidth: Int(r.pointee.frame_width), frameHeight: Int(r.pointee.frame_height),
                                          scoreMin: r.pointee.score_min, maxDetections: Int(r.pointee.max_detections),
                                          output: swiftString(r.pointee.output), frameIntervalMs: r.pointee.frame_interval_ms))
        } else {
            action = .rollback
        }
        return Command(counter: c.pointee.counter, action: action)
    }
}
