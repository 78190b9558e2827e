import CEdgeSupport
import EdgeFormat
import EdgeRuntime
import EdgeTransfer
import EdgeWire

/// A head and a tail joined by the transfer encoding: head -> encode -> serialized
/// TransferTensor message -> parse -> decode -> tail, in one process: the same bytes and
/// the same codec as between two agents (edged forwarding). `edgec split` measures with
/// it and `edgec run --split` runs it.
public final class SplitPipeline {
    public let head: Interpreter
    public let tail: Interpreter
    public let encoding: TransferEncoding
    public let compress: Bool
    /// Whether the head ends / the tail starts with a Transfer Layer op (timed apart).
    public let hasTransferLayer: Bool

    public struct Frame {
        /// The serialized TransferTensor message that would cross the link.
        public var bytes: [UInt8]
        public var transfer: TransferTensor? = nil
        public var headNs: UInt64 = 0
        public var tailNs: UInt64 = 0
        /// Time of the head's Transfer Layer op (0 for `none`).
        public var headLayerNs: UInt64 = 0
        public var tailLayerNs: UInt64 = 0
        public var encodeNs: UInt64 = 0
        public var decodeNs: UInt64 = 0
    }

    public init(head: Interpreter, tail: Interpreter, encoding: TransferEncoding, compress: Bool,
                hasTransferLayer: Bool) throws(EdgeError) {
        guard head.model.graph.inputs.count == 1, head.model.graph.outputs.count == 1, tail.model.graph.inputs.count == 1 else {
            throw EdgeError(.format, "a split head must have one input and one output, its tail one input")
        }
        let sent = head.model.tensors[Int(head.model.graph.outputs[0])].shape
        let received = tail.model.tensors[Int(tail.model.graph.inputs[0])].shape
        guard sent == received else {
            throw EdgeError(.shape, "the head sends \(ShapeText.of(sent)) but the tail expects \(ShapeText.of(received))")
        }
        self.head = head
        self.tail = tail
        self.encoding = encoding
        self.compress = compress
        self.hasTransferLayer = hasTransferLayer
    }

    public var inputShape: [Int] { head.model.tensors[Int(head.model.graph.inputs[0])].shape }
    public var transferShape: [Int] { head.model.tensors[Int(head.model.graph.outputs[0])].shape }
    public var outputs: [Int] { tail.model.graph.outputs.map { Int($0) } }

    /// Runs one input through; the outputs are then in `tail` (read with `output(_:)`).
    @discardableResult
    public func run(_ input: [Float]) throws(EdgeError) -> Frame {
        let hm = head.model, tm = tail.model
        guard input.count == hm.tensors[Int(hm.graph.inputs[0])].elementCount else {
            throw EdgeError(.shape, "the head's input has \(hm.tensors[Int(hm.graph.inputs[0])].elementCount) elements, got \(input.count)")
        }
        head.tensors[Int(hm.graph.inputs[0])].data.update(from: input, count: input.count)
        var nanos = [UInt64](repeating: 0, count: Swift.max(hm.ops.count, tm.ops.count))
        var f = Frame(bytes: [])
        var t0 = edge_now_ns()
        nanos.withUnsafeMutableBufferPointer { head.runTimed(0..<hm.ops.count, nanos: $0.baseAddress!) }
        f.headNs = edge_now_ns() &- t0
        if hasTransferLayer { f.headLayerNs = nanos[hm.ops.count - 1] }
        let sent = Int(hm.graph.outputs[0])
        t0 = edge_now_ns()
        let t = try TransferCodec.encode(head.read(tensor: sent), shape: hm.tensors[sent].shape, encoding: encoding, compress: compress)
        f.bytes = TransferCodec.wireBytes(t)
        f.transfer = t
        f.encodeNs = edge_now_ns() &- t0

        let received = Int(tm.graph.inputs[0])
        t0 = edge_now_ns()
        let target = UnsafeMutableBufferPointer(start: tail.tensors[received].data, count: tm.tensors[received].elementCount)
        try TransferCodec.decode(wire: f.bytes, expected: tm.tensors[received].shape, into: target)
        f.decodeNs = edge_now_ns() &- t0
        for i in 0..<nanos.count { nanos[i] = 0 }
        t0 = edge_now_ns()
        nanos.withUnsafeMutableBufferPointer { tail.runTimed(0..<tm.ops.count, nanos: $0.baseAddress!) }
        f.tailNs = edge_now_ns() &- t0
        if hasTransferLayer { f.tailLayerNs = nanos[0] }
        return f
    }

    public func output(_ k: Int) -> UnsafeBufferPointer<Float> { tail.read(tensor: outputs[k]) }
}
