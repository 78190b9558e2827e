// Writes the plain values of EdgeCompiler's OnnxModel back to an ONNX file, the reverse of
// OnnxReader: the model is laid out as protobuf-c messages (code generated from
// Formats/onnx.proto, the CONNX target) and packed by protobuf-c. All C memory lives in
// one `CMemory` and is freed before `serialize` returns.
//
// What the reader does not keep is not written either: doc strings, subgraph bodies
// (attributes of kind .graph / .unsupported are refused), and value_info (a writer that
// changes shapes would otherwise have to keep it consistent; onnx and onnxruntime infer
// it again).

import CONNX
import EdgeCompiler
import EdgeFormat
import Foundation

public enum OnnxWriter {
    public static func serialize(_ model: OnnxModel) throws -> [UInt8] {
        let memory = CMemory()
        defer { memory.freeAll() }
        let proto = memory.object(Onnx__ModelProto.self, onnx__model_proto__init)
        proto.pointee.has_ir_version = 1
        proto.pointee.ir_version = model.irVersion
        let opsets = model.opsets.sorted { $0.key < $1.key }
        proto.pointee.n_opset_import = opsets.count
        proto.pointee.opset_import = memory.array(opsets.map { (domain, version) in
            let o = memory.object(Onnx__OperatorSetIdProto.self, onnx__operator_set_id_proto__init)
            o.pointee.domain = memory.string(domain)
            o.pointee.has_version = 1
            o.pointee.version = version
            return o
        })
        proto.pointee.producer_name = memory.string(model.producerName)
        proto.pointee.producer_version = memory.string(model.producerVersion)
        let meta = model.metadata.sorted { $0.key < $1.key }
        proto.pointee.n_metadata_props = meta.count
        proto.pointee.metadata_props = memory.array(meta.map { entry($0.key, $0.value, memory) })
        proto.pointee.graph = try graph(model.graph, memory)

        let size = onnx__model_proto__get_packed_size(proto)
        guard size <= Int(Int32.max) else {
            throw EdgeError(.unsupported, "the ONNX model would be \(size) bytes; protobuf files over 2 GiB are not supported")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let written = bytes.withUnsafeMutableBufferPointer { onnx__model_proto__pack(proto, $0.baseAddress) }
        guard written == size else { throw EdgeError(.format, "protobuf-c packed \(written) of \(size) bytes") }
        return bytes
    }

    public static func write(_ model: OnnxModel, to path: String) throws {
        try FileIO.write(path, try serialize(model))
    }

    static func entry(_ key: String, _ value: String, _ memory: CMemory) -> UnsafeMutablePointer<Onnx__StringStringEntryProto> {
        let e = memory.object(Onnx__StringStringEntryProto.self, onnx__string_string_entry_proto__init)
        e.pointee.key = memory.string(key)
        e.pointee.value = memory.string(value)
        return e
    }

    static func graph(_ g: OnnxGraph, _ memory: CMemory) throws -> UnsafeMutablePointer<Onnx__GraphProto> {
        let p = memory.object(Onnx__GraphProto.self, onnx__graph_proto__init)
        p.pointee.name = memory.string(g.name)
        p.pointee.n_node = g.nodes.count
        p.pointee.node = memory.array(try g.nodes.map { try node($0, memory) })
        p.pointee.n_initializer = g.initializers.count
        p.pointee.initializer = memory.array(try g.initializers.map { try tensor($0, memory) })
        p.pointee.n_input = g.inputs.count
        p.pointee.input = memory.array(g.inputs.map { valueInfo($0, memory) })
        p.pointee.n_output = g.outputs.count
        p.pointee.output = memory.array(g.outputs.map { valueInfo($0, memory) })
        return p
    }

    static func node(_ n: OnnxNode, _ memory: CMemory) throws -> UnsafeMutablePointer<Onnx__NodeProto> {
        let p = memory.object(Onnx__NodeProto.self, onnx__node_proto__init)
        p.pointee.name = memory.string(n.name)
        p.pointee.op_type = memory.string(n.opType)
        if !n.domain.isEmpty { p.pointee.domain = memory.string(n.domain) }
        p.pointee.n_input = n.inputs.count
        p.pointee.input = memory.array(n.inputs.map { memory.string($0) })
        p.pointee.n_output = n.outputs.count
        p.pointee.output = memory.array(n.outputs.map { memory.string($0) })
        let attributes = n.attributes.sorted { $0.key < $1.key }
        p.pointee.n_attribute = attributes.count
        p.pointee.attribute = memory.array(try attributes.map { try attribute($0.key, $0.value, node: n, memory) })
        return p
    }

    static func attribute(_ name: String, _ value: OnnxAttribute, node: OnnxNode,
                          _ memory: CMemory) throws -> UnsafeMutablePointer<Onnx__AttributeProto> {
        let a = memory.object(Onnx__AttributeProto.self, onnx__attribute_proto__init)
        a.pointee.name = memory.string(name)
        a.pointee.has_type = 1
        switch value {
        case .int(let v):
            a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
            a.pointee.has_i = 1
            a.pointee.i = v
        case .float(let v):
            a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
            a.pointee.has_f = 1
            a.pointee.f = v
        case .string(let v):
            a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
            a.pointee.has_s = 1
            a.pointee.s = memory.bytes(Array(v.utf8))
        case .ints(let v):
            a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
            a.pointee.n_ints = v.count
            a.pointee.ints = memory.array(v)
        case .floats(let v):
            a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
            a.pointee.n_floats = v.count
            a.pointee.floats = memory.array(v)
        case .strings(let v):
            a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS
            a.pointee.n_strings = v.count
            a.pointee.strings = memory.array(v.map { memory.bytes(Array($0.utf8)) })
        case .tensor(let t):
            a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
            a.pointee.t = try tensor(t, memory)
        case .graph, .unsupported:
            throw EdgeError(.unsupported, "cannot write attribute '\(name)' of node '\(node.name)' (\(node.opType)): subgraphs and \(value) attributes are not kept by the reader")
        }
        return a
    }

    /// Float tensors are written as FLOAT and integers as INT64 or INT32 (as `dataType`
    /// says), little-endian in raw_data.
    static func tensor(_ t: OnnxTensor, _ memory: CMemory) throws -> UnsafeMutablePointer<Onnx__TensorProto> {
        let p = memory.object(Onnx__TensorProto.self, onnx__tensor_proto__init)
        p.pointee.name = memory.string(t.name)
        p.pointee.n_dims = t.dims.count
        p.pointee.dims = memory.array(t.dims)
        p.pointee.has_data_type = 1
        var raw: [UInt8] = []
        switch t.data {
        case .float(let f):
            p.pointee.data_type = OnnxDataType.float
            raw.reserveCapacity(4 * f.count)
            for v in f { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        case .int64(let i):
            if t.dataType == OnnxDataType.int32 {
                p.pointee.data_type = OnnxDataType.int32
                for v in i { withUnsafeBytes(of: Int32(truncatingIfNeeded: v).littleEndian) { raw.append(contentsOf: $0) } }
            } else if t.dataType == OnnxDataType.bool || t.dataType == OnnxDataType.uint8 || t.dataType == OnnxDataType.int8 {
                p.pointee.data_type = t.dataType
                for v in i { raw.append(UInt8(truncatingIfNeeded: v)) }
            } else {
                p.pointee.data_type = OnnxDataType.int64
                for v in i { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
            }
        }
        p.pointee.has_raw_data = 1
        p.pointee.raw_data = memory.bytes(raw)
        return p
    }

    static func valueInfo(_ v: OnnxValueInfo, _ memory: CMemory) -> UnsafeMutablePointer<Onnx__ValueInfoProto> {
        let p = memory.object(Onnx__ValueInfoProto.self, onnx__value_info_proto__init)
        p.pointee.name = memory.string(v.name)
        let type = memory.object(Onnx__TypeProto.self, onnx__type_proto__init)
        let tensor = memory.object(Onnx__TypeProto__Tensor.self, onnx__type_proto__tensor__init)
        tensor.pointee.has_elem_type = 1
        tensor.pointee.elem_type = v.elementType
        if let dims = v.shape {
            let shape = memory.object(Onnx__TensorShapeProto.self, onnx__tensor_shape_proto__init)
            shape.pointee.n_dim = dims.count
            shape.pointee.dim = memory.array(dims.map { d in
                let dim = memory.object(Onnx__TensorShapeProto__Dimension.self, onnx__tensor_shape_proto__dimension__init)
                switch d {
                case .value(let n):
                    dim.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                    dim.pointee.dim_value = n
                case .param(let s):
                    dim.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                    dim.pointee.dim_param = memory.string(s)
                case .unknown:
                    break
                }
                return dim
            })
            tensor.pointee.shape = shape
        }
        type.pointee.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
        type.pointee.tensor_type = tensor
        p.pointee.type = type
        return p
    }
}

/// Every C allocation of one serialization, freed together.
final class CMemory {
    private var blocks: [UnsafeMutableRawPointer] = []

    func freeAll() {
        for b in blocks { free(b) }
        blocks = []
    }

    private func raw(_ bytes: Int) -> UnsafeMutableRawPointer {
        let p = calloc(1, max(bytes, 1))!
        blocks.append(p)
        return p
    }

    /// A protobuf-c message, set up by its generated `init` function.
    func object<T>(_ type: T.Type, _ initialize: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let p = raw(MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: 1)
        initialize(p)
        return p
    }

    func array<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let p = raw(MemoryLayout<T>.stride * values.count).bindMemory(to: T.self, capacity: max(values.count, 1))
        for (i, v) in values.enumerated() { (p + i).initialize(to: v) }
        return p
    }

    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(s.utf8CString)
        return array(utf8)
    }

    func bytes(_ b: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: b.count, data: array(b))
    }
}
