// Reads an ONNX model file into the plain values of OnnxModel.swift.
//
// Decoding is done by protobuf-c (code generated from Formats/onnx.proto into the CONNX
// target). Before protobuf-c sees the bytes, a small iterative scan (`WireScan`) walks the
// protobuf structure with the same descriptors. It exists because protobuf-c
//   - recurses once per nested message with no depth limit, so a few tens of KB of
//     nested AttributeProto.g / GraphProto.node fields would overflow the stack, and
//   - only says "failed" (NULL), while the scan can say what is wrong and where.
// Every C pointer is read inside `read(bytes:)` / `read(path:)` and freed before they return.

import CONNX
import EdgeFormat
import Foundation

public enum OnnxReader {
    /// Deeper nesting than this is rejected before protobuf-c runs. A model graph uses
    /// about 8 levels (model, graph, value info, type, tensor type, shape, dim); every
    /// If/Loop/Scan subgraph adds 3, so 100 allows 30 levels of nested subgraphs.
    public static let maxNestingDepth = 100

    /// Tensors may hold at most this many elements (the product of their dims).
    public static let maxTensorElements: Int64 = 1 << 31

    /// Reads and decodes the ONNX file at `path`. Errors name the path.
    ///
    /// A regular file is mapped rather than copied and unmapped as soon as protobuf-c has
    /// decoded it, so peak memory is about twice the weights (protobuf-c's copy of each
    /// tensor's bytes plus the Swift arrays) rather than three times.
    public static func read(path: String) throws -> OnnxModel {
        let model = try withFileBytes(path) { bytes in
            do {
                return try unpack(bytes)
            } catch let error as EdgeError {
                throw EdgeError(error.kind, "\(path): \(error.message)")
            }
        }
        defer { onnx__model_proto__free_unpacked(model, nil) }
        do {
            return try convertModel(model.pointee)
        } catch let error as EdgeError {
            throw EdgeError(error.kind, "\(path): \(error.message)")
        }
    }

    /// Decodes a serialized ONNX ModelProto.
    public static func read(bytes: [UInt8]) throws -> OnnxModel {
        let model = try bytes.withUnsafeBytes { try unpack($0) }
        defer { onnx__model_proto__free_unpacked(model, nil) }
        return try convertModel(model.pointee)
    }

    /// Checks and decodes the wire data. The result owns copies of everything it needs
    /// (protobuf-c copies strings and bytes), so `bytes` may go away afterwards; free it
    /// with onnx__model_proto__free_unpacked.
    fileprivate static func unpack(_ bytes: UnsafeRawBufferPointer) throws -> UnsafeMutablePointer<Onnx__ModelProto> {
        if bytes.isEmpty {
            throw EdgeError(.format, "not an ONNX model: the file is empty")
        }
        if bytes.count > Int(Int32.max) {
            throw EdgeError(
                .unsupported,
                "ONNX file is \(bytes.count) bytes; protobuf files over 2 GiB are not supported "
                    + "(models that large keep their weights in external data)")
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw EdgeError(
                .format, "not an ONNX model: this is a zip archive (a PyTorch checkpoint?), export it to ONNX first")
        }
        // The pointer may address a Swift copy of the C descriptor; that is fine, as only
        // its field table (a pointer into the real static data) is followed.
        try withUnsafePointer(to: onnx__model_proto__descriptor) { root in
            try WireScan.check(bytes, root: root)
        }
        guard
            let model = onnx__model_proto__unpack(
                nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        else {
            throw EdgeError(
                .format, "not an ONNX model: protobuf-c could not decode it (malformed protobuf or out of memory)")
        }
        return model
    }
}

// MARK: - File reading

/// Calls `body` with the contents of the file at `path`: mapped for a regular file, read
/// into memory for anything else (pipes, /proc). A free function so that `read` below is
/// POSIX read(2), not OnnxReader.read.
private func withFileBytes<R>(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    if path.isEmpty { throw EdgeError(.io, "cannot open ONNX file: the path is empty") }
    let fd = open(path, O_RDONLY)
    if fd < 0 {
        throw EdgeError(.io, "cannot open ONNX file '\(path)': \(errnoText())")
    }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) != 0 {
        throw EdgeError(.io, "cannot read ONNX file '\(path)': \(errnoText())")
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
        throw EdgeError(.io, "cannot read ONNX file '\(path)': it is a directory")
    }
    if (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 && Int64(info.st_size) <= Int64(Int32.max) {
        let size = Int(info.st_size)
        if let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED {
            defer { munmap(map, size) }
            return try body(UnsafeRawBufferPointer(start: map, count: size))
        }
        // mmap can fail on some file systems; fall back to reading.
    }
    // Read until EOF rather than trusting st_size. Stop a little past the 2 GiB protobuf
    // limit; unpack() reports the size.
    var bytes = [UInt8]()
    if info.st_size > 0 { bytes.reserveCapacity(Int(min(Int64(info.st_size), Int64(Int32.max) + 1))) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while bytes.count <= Int(Int32.max) {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw EdgeError(.io, "cannot read ONNX file '\(path)': \(errnoText())")
        }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return try bytes.withUnsafeBytes { try body($0) }
}

private func errnoText() -> String {
    String(cString: strerror(errno))
}

// MARK: - Wire-format pre-scan

/// Walks protobuf wire data with protobuf-c descriptors, without recursion, checking what
/// protobuf-c would reject and the nesting depth protobuf-c cannot guard against.
private enum WireScan {
    struct Frame {
        var descriptor: UnsafePointer<ProtobufCMessageDescriptor>
        var end: Int
        /// "ModelProto.graph.node" - for messages.
        var path: String
    }

    static func check(_ data: UnsafeRawBufferPointer, root: UnsafePointer<ProtobufCMessageDescriptor>) throws {
        var stack = [Frame(descriptor: root, end: data.count, path: shortName(root))]
        var pos = 0

        func fail(_ what: String, at offset: Int, _ frame: Frame) -> EdgeError {
            EdgeError(.format, "not a valid ONNX model: \(what) at byte \(offset) (in \(frame.path))")
        }

        while let frame = stack.last {
            if pos == frame.end {
                stack.removeLast()
                continue
            }
            let fieldStart = pos
            // Tag: protobuf-c reads at most 5 bytes and rejects field number 0.
            guard let key = readVarint(data, &pos, limit: frame.end, maxBytes: 5) else {
                throw fail("truncated or malformed field tag", at: fieldStart, frame)
            }
            let number = key >> 3
            let wireType = Int(key & 7)
            if number == 0 {
                throw fail("field number 0", at: fieldStart, frame)
            }
            let field = lookup(frame.descriptor, UInt32(truncatingIfNeeded: number))
            let fieldName = field.map { String(cString: $0.pointee.name) } ?? "field \(number)"

            switch wireType {
            case 0:
                guard readVarint(data, &pos, limit: frame.end, maxBytes: 10) != nil else {
                    throw fail("truncated or overlong varint in \(fieldName)", at: fieldStart, frame)
                }
            case 1, 5:
                let size = wireType == 1 ? 8 : 4
                if frame.end - pos < size {
                    throw fail("\(fieldName) is cut off (needs \(size) bytes)", at: fieldStart, frame)
                }
                pos += size
            case 2:
                guard let length = readVarint(data, &pos, limit: frame.end, maxBytes: 5) else {
                    throw fail("truncated length of \(fieldName)", at: fieldStart, frame)
                }
                if length > UInt64(frame.end - pos) {
                    throw fail(
                        "\(fieldName) claims \(length) bytes but only \(frame.end - pos) remain",
                        at: fieldStart, frame)
                }
                let payloadEnd = pos + Int(length)
                if let field, field.pointee.type == PROTOBUF_C_TYPE_MESSAGE,
                    let child = field.pointee.descriptor
                {
                    let childDescriptor = child.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                    if stack.count >= OnnxReader.maxNestingDepth {
                        throw EdgeError(
                            .format,
                            "not a valid ONNX model: messages nested more than \(OnnxReader.maxNestingDepth) "
                                + "levels deep at byte \(fieldStart) (in \(frame.path))")
                    }
                    stack.append(Frame(descriptor: childDescriptor, end: payloadEnd, path: frame.path + "." + fieldName))
                    continue  // pos is at the start of the child's payload
                }
                if let field, field.pointee.label == PROTOBUF_C_LABEL_REPEATED {
                    if let width = fixedWidth(field.pointee.type), length % UInt64(width) != 0 {
                        throw fail(
                            "packed \(fieldName) is \(length) bytes, not a multiple of \(width)",
                            at: fieldStart, frame)
                    }
                }
                pos = payloadEnd
            default:
                throw fail("unsupported wire type \(wireType) for \(fieldName)", at: fieldStart, frame)
            }

            if let field, !accepts(field.pointee, wireType: wireType) {
                throw fail(
                    "\(fieldName) has wire type \(wireType) (\(wireTypeName(wireType))), which does not match "
                        + "its declared type; this does not look like an ONNX model", at: fieldStart, frame)
            }
        }
    }

    /// Reads a base-128 varint of at most `maxBytes` bytes ending before `limit`.
    static func readVarint(_ data: UnsafeRawBufferPointer, _ pos: inout Int, limit: Int, maxBytes: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var i = pos
        while i < limit && i - pos < maxBytes {
            let byte = data[i]
            if shift < 64 { value |= UInt64(byte & 0x7F) << shift }
            shift += 7
            i += 1
            if byte & 0x80 == 0 {
                pos = i
                return value
            }
        }
        return nil
    }

    static func lookup(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, _ id: UInt32
    ) -> UnsafePointer<ProtobufCFieldDescriptor>? {
        let d = descriptor.pointee
        guard let fields = d.fields else { return nil }
        for i in 0..<Int(d.n_fields) where fields[i].id == id {
            return fields + i
        }
        return nil
    }

    static func fixedWidth(_ type: ProtobufCType) -> Int? {
        switch type {
        case PROTOBUF_C_TYPE_FLOAT, PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32: return 4
        case PROTOBUF_C_TYPE_DOUBLE, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64: return 8
        default: return nil
        }
    }

    /// The wire types protobuf-c accepts for a declared field.
    static func accepts(_ field: ProtobufCFieldDescriptor, wireType: Int) -> Bool {
        let repeated = field.label == PROTOBUF_C_LABEL_REPEATED
        switch field.type {
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_MESSAGE:
            return wireType == 2
        case PROTOBUF_C_TYPE_FLOAT, PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32:
            return wireType == 5 || (repeated && wireType == 2)
        case PROTOBUF_C_TYPE_DOUBLE, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64:
            return wireType == 1 || (repeated && wireType == 2)
        default:  // varint types: int32/64, uint32/64, sint32/64, bool, enum
            return wireType == 0 || (repeated && wireType == 2)
        }
    }

    static func wireTypeName(_ wireType: Int) -> String {
        switch wireType {
        case 0: return "varint"
        case 1: return "64-bit"
        case 2: return "length-delimited"
        case 5: return "32-bit"
        default: return "group"
        }
    }

    static func shortName(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> String {
        descriptor.pointee.short_name.map { String(cString: $0) } ?? "message"
    }
}

// MARK: - Conversion from protobuf-c structs

/// protobuf-c leaves an array pointer NULL when its count is 0.
@inline(__always)
private func buffer<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int) -> UnsafeBufferPointer<T> {
    UnsafeBufferPointer(start: count > 0 ? pointer : nil, count: count > 0 && pointer != nil ? count : 0)
}

/// Pointers to sub-messages; NULL entries (which protobuf-c never produces) are skipped.
@inline(__always)
private func messages<T>(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, _ count: Int) -> [UnsafeMutablePointer<T>] {
    buffer(pointer, count).compactMap { $0 }
}

@inline(__always)
private func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

private func text(_ data: ProtobufCBinaryData) -> String {
    let bytes = buffer(data.data, data.len)
    return String(decoding: bytes, as: UTF8.self)
}

private func canonicalDomain(_ domain: String) -> String {
    domain == "ai.onnx" ? "" : domain
}

private func quoted(_ name: String) -> String {
    name.isEmpty ? "(unnamed)" : "'\(name)'"
}

extension OnnxReader {
    fileprivate static func convertModel(_ m: Onnx__ModelProto) throws -> OnnxModel {
        guard let graph = m.graph else {
            throw EdgeError(
                .format,
                "not an ONNX model: the protobuf has no graph (is it a TensorProto .pb or another protobuf file?)")
        }
        var opsets: [String: Int64] = [:]
        for entry in messages(m.opset_import, m.n_opset_import) {
            let domain = canonicalDomain(text(entry.pointee.domain))
            let version = entry.pointee.has_version != 0 ? entry.pointee.version : 0
            if let previous = opsets[domain], previous != version {
                throw EdgeError(
                    .format,
                    "opset_import lists domain '\(domain.isEmpty ? "ai.onnx" : domain)' twice "
                        + "(versions \(previous) and \(version))")
            }
            opsets[domain] = version
        }
        var metadata: [String: String] = [:]
        for entry in messages(m.metadata_props, m.n_metadata_props) {
            metadata[text(entry.pointee.key)] = text(entry.pointee.value)
        }
        return OnnxModel(
            irVersion: m.has_ir_version != 0 ? m.ir_version : 0,
            opsets: opsets,
            producerName: text(m.producer_name),
            producerVersion: text(m.producer_version),
            metadata: metadata,
            graph: try convertGraph(graph.pointee))
    }

    fileprivate static func convertGraph(_ g: Onnx__GraphProto) throws -> OnnxGraph {
        var initializers: [OnnxTensor] = []
        for t in messages(g.initializer, g.n_initializer) {
            initializers.append(try convertTensor(t.pointee, context: "initializer"))
        }
        var nodes: [OnnxNode] = []
        nodes.reserveCapacity(Int(g.n_node))
        for (index, n) in messages(g.node, g.n_node).enumerated() {
            nodes.append(try convertNode(n.pointee, index: index))
        }
        return OnnxGraph(
            name: text(g.name),
            nodes: nodes,
            initializers: initializers,
            inputs: try messages(g.input, g.n_input).map { try convertValueInfo($0.pointee) },
            outputs: try messages(g.output, g.n_output).map { try convertValueInfo($0.pointee) },
            valueInfo: try messages(g.value_info, g.n_value_info).map { try convertValueInfo($0.pointee) })
    }

    fileprivate static func convertNode(_ n: Onnx__NodeProto, index: Int) throws -> OnnxNode {
        let name = text(n.name)
        let opType = text(n.op_type)
        let label = name.isEmpty ? "#\(index)" : "#\(index) '\(name)'"
        if opType.isEmpty {
            throw EdgeError(.format, "node \(label) has no op_type")
        }
        var attributes: [String: OnnxAttribute] = [:]
        for a in messages(n.attribute, n.n_attribute) {
            let attributeName = text(a.pointee.name)
            let context = "attribute \(quoted(attributeName)) of node \(label) (\(opType))"
            if attributeName.isEmpty {
                throw EdgeError(.format, "node \(label) (\(opType)) has an attribute without a name")
            }
            if attributes[attributeName] != nil {
                throw EdgeError(.format, "node \(label) (\(opType)) has attribute '\(attributeName)' twice")
            }
            attributes[attributeName] = try convertAttribute(a.pointee, context: context)
        }
        return OnnxNode(
            name: name,
            opType: opType,
            domain: canonicalDomain(text(n.domain)),
            inputs: buffer(n.input, n.n_input).map { text($0) },
            outputs: buffer(n.output, n.n_output).map { text($0) },
            attributes: attributes)
    }

    fileprivate static func convertAttribute(_ a: Onnx__AttributeProto, context: String) throws -> OnnxAttribute {
        if let ref = a.ref_attr_name, ref.pointee != 0 {
            return .unsupported("REF_ATTR")  // only meaningful inside FunctionProto bodies
        }
        var type = a.has_type != 0 ? Int64(a.type.rawValue) : 0
        if type == 0 {
            // IR version 1 files have no type field; infer it from the value present.
            if a.has_f != 0 { type = 1 }
            else if a.has_i != 0 { type = 2 }
            else if a.has_s != 0 { type = 3 }
            else if a.t != nil { type = 4 }
            else if a.g != nil { type = 5 }
            else if a.n_floats > 0 { type = 6 }
            else if a.n_ints > 0 { type = 7 }
            else if a.n_strings > 0 { type = 8 }
            else if a.n_tensors > 0 { type = 9 }
            else if a.n_graphs > 0 { type = 10 }
            else { return .unsupported("UNDEFINED") }
        }
        switch type {
        case 1: return .float(a.f)
        case 2: return .int(a.i)
        case 3: return .string(text(a.s))
        case 4:
            guard let t = a.t else {
                throw EdgeError(.format, "\(context) has type TENSOR but no tensor value")
            }
            return .tensor(try convertTensor(t.pointee, context: "tensor in \(context)"))
        case 5: return .graph(a.g.map { text($0.pointee.name) } ?? "")
        case 6: return .floats(Array(buffer(a.floats, a.n_floats)))
        case 7: return .ints(Array(buffer(a.ints, a.n_ints)))
        case 8: return .strings(buffer(a.strings, a.n_strings).map { text($0) })
        case 9: return .unsupported("TENSORS")
        case 10: return .unsupported("GRAPHS")
        case 11: return .unsupported("SPARSE_TENSOR")
        case 12: return .unsupported("SPARSE_TENSORS")
        case 13: return .unsupported("TYPE_PROTO")
        case 14: return .unsupported("TYPE_PROTOS")
        default: return .unsupported("attribute type \(type)")
        }
    }

    fileprivate static func convertValueInfo(_ v: Onnx__ValueInfoProto) throws -> OnnxValueInfo {
        let name = text(v.name)
        guard let type = v.type, type.pointee.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE,
            let tensorType = type.pointee.tensor_type
        else {
            return OnnxValueInfo(name: name, elementType: 0, shape: nil)
        }
        let elementType = tensorType.pointee.has_elem_type != 0 ? tensorType.pointee.elem_type : 0
        guard let shape = tensorType.pointee.shape else {
            return OnnxValueInfo(name: name, elementType: elementType, shape: nil)
        }
        let dims: [OnnxDim] = messages(shape.pointee.dim, shape.pointee.n_dim).map { d in
            switch d.pointee.value_case {
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE:
                // Some exporters write -1 for "dynamic"; treat any negative size as unknown.
                return d.pointee.dim_value >= 0 ? .value(d.pointee.dim_value) : .unknown
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM:
                let param = text(d.pointee.dim_param)
                return param.isEmpty ? .unknown : .param(param)
            default:
                return .unknown
            }
        }
        return OnnxValueInfo(name: name, elementType: elementType, shape: dims)
    }
}

// MARK: - Tensor data

extension OnnxReader {
    /// `context` says where the tensor sits ("initializer", "tensor in attribute 'value'
    /// of node #3 (Constant)") for error messages.
    fileprivate static func convertTensor(_ t: Onnx__TensorProto, context: String) throws -> OnnxTensor {
        let name = text(t.name)
        let dims = Array(buffer(t.dims, t.n_dims))
        let dataType = t.has_data_type != 0 ? t.data_type : 0
        let typeName = OnnxDataType.name(dataType)
        let what = "\(context) \(quoted(name))"
        let described = "\(what) (\(typeName), dims \(dims))"

        if (t.has_data_location != 0 && t.data_location.rawValue == 1) || t.n_external_data > 0 {
            throw EdgeError(.unsupported, "external tensor data is not supported: tensor \(quoted(name)) (\(context))")
        }
        if t.segment != nil {
            throw EdgeError(.unsupported, "segmented tensors are not supported: tensor \(quoted(name)) (\(context))")
        }

        // Element count: product of dims, treating 0 as 1 for the size limit so that every
        // partial product (strides) also stays in range.
        var count: Int64 = 1
        var bound: Int64 = 1
        for d in dims {
            if d < 0 {
                throw EdgeError(.format, "\(described) has a negative dimension")
            }
            let (product, overflow) = bound.multipliedReportingOverflow(by: max(d, 1))
            if overflow || product > maxTensorElements {
                throw EdgeError(
                    .format, "\(described) has more than 2^31 elements, which cannot be right for an ONNX tensor")
            }
            bound = product
            count *= d
        }
        let n = Int(count)

        let raw = buffer(t.raw_data.data, t.raw_data.len)
        let useRaw = t.has_raw_data != 0 && !raw.isEmpty

        func checkCount(_ have: Int, _ field: String) throws {
            if have != n {
                throw EdgeError(.format, "\(described) has \(have) values in \(field), expected \(n)")
            }
        }
        func rawBytes(_ width: Int) throws -> UnsafeRawBufferPointer {
            let expected = n * width
            if raw.count != expected {
                throw EdgeError(
                    .format, "\(described) has \(raw.count) bytes of raw_data, expected \(expected)")
            }
            return UnsafeRawBufferPointer(raw)
        }
        func typedOnly(_ allowed: String, _ typedCount: Int) throws {
            // Values in a typed field that does not belong to this data type.
            let fields: [(String, Int)] = [
                ("float_data", t.n_float_data), ("int32_data", t.n_int32_data),
                ("int64_data", t.n_int64_data), ("double_data", t.n_double_data),
                ("uint64_data", t.n_uint64_data), ("string_data", t.n_string_data),
            ]
            for (field, c) in fields where c > 0 && field != allowed {
                throw EdgeError(.format, "\(described) stores values in \(field), which is not valid for \(typeName)")
            }
            if useRaw && typedCount > 0 {
                throw EdgeError(.format, "\(described) has values in both raw_data and \(allowed)")
            }
        }

        let data: OnnxTensorData
        switch dataType {
        case OnnxDataType.float:
            try typedOnly("float_data", t.n_float_data)
            if useRaw {
                let b = try rawBytes(4)
                data = .float((0..<n).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) })
            } else {
                let v = buffer(t.float_data, t.n_float_data)
                try checkCount(v.count, "float_data")
                data = .float(Array(v))
            }

        case OnnxDataType.double:
            try typedOnly("double_data", t.n_double_data)
            if useRaw {
                let b = try rawBytes(8)
                data = .float((0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) })
            } else {
                let v = buffer(t.double_data, t.n_double_data)
                try checkCount(v.count, "double_data")
                data = .float(v.map { Float($0) })
            }

        case OnnxDataType.float16, OnnxDataType.bfloat16:
            let convert: (UInt16) -> Float = dataType == OnnxDataType.float16 ? halfToFloat : bfloat16ToFloat
            try typedOnly("int32_data", t.n_int32_data)
            if useRaw {
                let b = try rawBytes(2)
                data = .float((0..<n).map { convert(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) })
            } else {
                let v = buffer(t.int32_data, t.n_int32_data)
                try checkCount(v.count, "int32_data")
                data = .float(v.map { convert(UInt16(truncatingIfNeeded: $0)) })
            }

        case OnnxDataType.int64:
            try typedOnly("int64_data", t.n_int64_data)
            if useRaw {
                let b = try rawBytes(8)
                data = .int64((0..<n).map { Int64(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) })
            } else {
                let v = buffer(t.int64_data, t.n_int64_data)
                try checkCount(v.count, "int64_data")
                data = .int64(Array(v))
            }

        case OnnxDataType.int32, OnnxDataType.int16, OnnxDataType.int8, OnnxDataType.uint16,
            OnnxDataType.uint8, OnnxDataType.bool:
            // int32_data holds each value widened to int32; raw_data holds the narrow type.
            let width: Int
            let fromInt32: (Int32) -> Int64
            let fromRaw: (UnsafeRawBufferPointer, Int) -> Int64
            switch dataType {
            case OnnxDataType.int32:
                width = 4
                fromInt32 = { Int64($0) }
                fromRaw = { Int64(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: $1 * 4, as: Int32.self))) }
            case OnnxDataType.int16:
                width = 2
                fromInt32 = { Int64(Int16(truncatingIfNeeded: $0)) }
                fromRaw = { Int64(Int16(littleEndian: $0.loadUnaligned(fromByteOffset: $1 * 2, as: Int16.self))) }
            case OnnxDataType.uint16:
                width = 2
                fromInt32 = { Int64(UInt16(truncatingIfNeeded: $0)) }
                fromRaw = { Int64(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1 * 2, as: UInt16.self))) }
            case OnnxDataType.int8:
                width = 1
                fromInt32 = { Int64(Int8(truncatingIfNeeded: $0)) }
                fromRaw = { Int64(Int8(bitPattern: $0[$1])) }
            case OnnxDataType.uint8:
                width = 1
                fromInt32 = { Int64(UInt8(truncatingIfNeeded: $0)) }
                fromRaw = { Int64($0[$1]) }
            default:  // bool
                width = 1
                fromInt32 = { $0 != 0 ? 1 : 0 }
                fromRaw = { $0[$1] != 0 ? 1 : 0 }
            }
            try typedOnly("int32_data", t.n_int32_data)
            if useRaw {
                let b = try rawBytes(width)
                data = .int64((0..<n).map { fromRaw(b, $0) })
            } else {
                let v = buffer(t.int32_data, t.n_int32_data)
                try checkCount(v.count, "int32_data")
                data = .int64(v.map(fromInt32))
            }

        case OnnxDataType.uint32, OnnxDataType.uint64:
            try typedOnly("uint64_data", t.n_uint64_data)
            var values: [UInt64]
            if useRaw {
                if dataType == OnnxDataType.uint32 {
                    let b = try rawBytes(4)
                    values = (0..<n).map { UInt64(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                } else {
                    let b = try rawBytes(8)
                    values = (0..<n).map { UInt64(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
                }
            } else {
                let v = buffer(t.uint64_data, t.n_uint64_data)
                try checkCount(v.count, "uint64_data")
                values = Array(v)
                if dataType == OnnxDataType.uint32, let bad = values.first(where: { $0 > UInt64(UInt32.max) }) {
                    throw EdgeError(.format, "\(described) holds \(bad), which does not fit UINT32")
                }
            }
            if let bad = values.first(where: { $0 > UInt64(Int64.max) }) {
                throw EdgeError(.unsupported, "\(described) holds \(bad), beyond the Int64 range Edge supports")
            }
            data = .int64(values.map { Int64($0) })
            values = []

        default:
            throw EdgeError(
                .unsupported, "tensor \(quoted(name)) (\(context)) has data type \(typeName), which is not supported")
        }
        return OnnxTensor(name: name, dataType: dataType, dims: dims, data: data)
    }
}

/// IEEE 754 binary16 to binary32, exact for every input (subnormals, infinities, NaN).
func halfToFloat(_ h: UInt16) -> Float {
    let sign: UInt32 = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24  // zero or subnormal
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// bfloat16 is the top half of a binary32.
func bfloat16ToFloat(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}
