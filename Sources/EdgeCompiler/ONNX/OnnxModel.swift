// Plain Swift values for the parts of an ONNX model the compiler uses.
// Produced by OnnxReader; nothing here refers to protobuf-c, so the rest of the compiler
// never touches C pointers.

import EdgeFormat

/// An ONNX model: the graph plus the opset versions it was written against.
public struct OnnxModel {
    public var irVersion: Int64
    /// Operator-set domain -> version. The default ONNX domain is "" (an "ai.onnx"
    /// entry in the file is stored under "" too).
    public var opsets: [String: Int64]
    public var producerName: String
    public var producerVersion: String
    public var metadata: [String: String]
    public var graph: OnnxGraph

    public init(
        irVersion: Int64, opsets: [String: Int64], producerName: String,
        producerVersion: String, metadata: [String: String], graph: OnnxGraph
    ) {
        self.irVersion = irVersion
        self.opsets = opsets
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.metadata = metadata
        self.graph = graph
    }

    /// The version of the default ("" / ai.onnx) operator set, if the model imports it.
    public var defaultOpset: Int64? { opsets[""] }
}

public struct OnnxGraph {
    public var name: String
    /// In file order, which ONNX requires to be a topological order.
    public var nodes: [OnnxNode]
    public var initializers: [OnnxTensor]
    /// As listed in the file. Models with IR version < 4 also list every initializer
    /// here; `runtimeInputs` leaves those out.
    public var inputs: [OnnxValueInfo]
    public var outputs: [OnnxValueInfo]
    public var valueInfo: [OnnxValueInfo]

    public init(
        name: String, nodes: [OnnxNode], initializers: [OnnxTensor], inputs: [OnnxValueInfo],
        outputs: [OnnxValueInfo], valueInfo: [OnnxValueInfo]
    ) {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.valueInfo = valueInfo
    }

    /// The inputs a caller must feed: `inputs` minus the names that have an initializer.
    public var runtimeInputs: [OnnxValueInfo] {
        let constant = Set(initializers.map(\.name))
        return inputs.filter { !constant.contains($0.name) }
    }

    /// The initializer called `name`, if any.
    public func initializer(named name: String) -> OnnxTensor? {
        initializers.first { $0.name == name }
    }
}

public struct OnnxNode {
    public var name: String
    public var opType: String
    /// "" for the default ONNX domain ("ai.onnx" in the file is stored as "" too).
    public var domain: String
    /// "" marks an absent optional input.
    public var inputs: [String]
    /// "" marks an unused optional output.
    public var outputs: [String]
    public var attributes: [String: OnnxAttribute]

    public init(
        name: String, opType: String, domain: String, inputs: [String], outputs: [String],
        attributes: [String: OnnxAttribute]
    ) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

public enum OnnxAttribute {
    case int(Int64)
    case float(Float)
    case string(String)
    case ints([Int64])
    case floats([Float])
    case strings([String])
    case tensor(OnnxTensor)
    /// The subgraph's name; subgraph bodies are not read.
    case graph(String)
    /// An attribute kind Edge does not read; the payload is the ONNX type name
    /// ("TENSORS", "GRAPHS", "SPARSE_TENSOR", "TYPE_PROTO", "REF_ATTR", ...).
    case unsupported(String)
}

public enum OnnxDim: Equatable {
    case value(Int64)
    case param(String)
    case unknown
}

public struct OnnxValueInfo {
    public var name: String
    /// ONNX TensorProto.DataType raw value; 0 when the type is missing or not a tensor.
    public var elementType: Int32
    /// nil when the shape is unknown (no shape in the file, or not a tensor type).
    public var shape: [OnnxDim]?

    public init(name: String, elementType: Int32, shape: [OnnxDim]?) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }
}

public enum OnnxTensorData {
    /// FLOAT, DOUBLE, FLOAT16 and BFLOAT16 tensors.
    case float([Float])
    /// All integer types and BOOL.
    case int64([Int64])
}

public struct OnnxTensor {
    public var name: String
    /// ONNX TensorProto.DataType raw value (see `OnnxDataType`).
    public var dataType: Int32
    public var dims: [Int64]
    public var data: OnnxTensorData

    public init(name: String, dataType: Int32, dims: [Int64], data: OnnxTensorData) {
        self.name = name
        self.dataType = dataType
        self.dims = dims
        self.data = data
    }

    /// Product of `dims` (1 for a scalar).
    public var elementCount: Int { dims.reduce(1) { $0 * Int($1) } }

    /// The values as Float (integers converted), in row-major order.
    public var floats: [Float] {
        switch data {
        case .float(let v): return v
        case .int64(let v): return v.map { Float($0) }
        }
    }

    /// The values as Int64 if the tensor holds integers (or bools), else nil.
    public var int64s: [Int64]? {
        if case .int64(let v) = data { return v }
        return nil
    }
}

/// ONNX TensorProto.DataType raw values and names.
public enum OnnxDataType {
    public static let undefined: Int32 = 0
    public static let float: Int32 = 1
    public static let uint8: Int32 = 2
    public static let int8: Int32 = 3
    public static let uint16: Int32 = 4
    public static let int16: Int32 = 5
    public static let int32: Int32 = 6
    public static let int64: Int32 = 7
    public static let string: Int32 = 8
    public static let bool: Int32 = 9
    public static let float16: Int32 = 10
    public static let double: Int32 = 11
    public static let uint32: Int32 = 12
    public static let uint64: Int32 = 13
    public static let complex64: Int32 = 14
    public static let complex128: Int32 = 15
    public static let bfloat16: Int32 = 16

    private static let names = [
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
        "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
        "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
        "FLOAT4E2M1",
    ]

    /// "FLOAT", "INT64", ...; "data type N" for values this table does not know.
    public static func name(_ type: Int32) -> String {
        if type >= 0 && Int(type) < names.count { return names[Int(type)] }
        return "data type \(type)"
    }
}

// MARK: - Attribute access

extension OnnxAttribute {
    /// The ONNX AttributeType name of this value ("INT", "FLOATS", ...).
    public var typeName: String {
        switch self {
        case .int: return "INT"
        case .float: return "FLOAT"
        case .string: return "STRING"
        case .ints: return "INTS"
        case .floats: return "FLOATS"
        case .strings: return "STRINGS"
        case .tensor: return "TENSOR"
        case .graph: return "GRAPH"
        case .unsupported(let name): return name
        }
    }

    public var intValue: Int64? {
        if case .int(let v) = self { return v }
        return nil
    }

    /// A FLOAT attribute; an INT one is converted (exporters sometimes write `alpha=1`).
    public var floatValue: Float? {
        switch self {
        case .float(let v): return v
        case .int(let v): return Float(v)
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    public var intsValue: [Int64]? {
        if case .ints(let v) = self { return v }
        return nil
    }

    /// A FLOATS attribute; an INTS one is converted.
    public var floatsValue: [Float]? {
        switch self {
        case .floats(let v): return v
        case .ints(let v): return v.map { Float($0) }
        default: return nil
        }
    }

    public var stringsValue: [String]? {
        if case .strings(let v) = self { return v }
        return nil
    }

    public var tensorValue: OnnxTensor? {
        if case .tensor(let v) = self { return v }
        return nil
    }
}

extension OnnxNode {
    /// "Conv 'conv1'" - how messages name a node.
    public var label: String { name.isEmpty ? opType : "\(opType) '\(name)'" }

    public func has(_ name: String) -> Bool { attributes[name] != nil }

    // Lenient accessors: the default when the attribute is absent or of another kind.

    public func int(_ name: String, default value: Int64) -> Int64 {
        attributes[name]?.intValue ?? value
    }

    public func float(_ name: String, default value: Float) -> Float {
        attributes[name]?.floatValue ?? value
    }

    public func string(_ name: String, default value: String) -> String {
        attributes[name]?.stringValue ?? value
    }

    public func ints(_ name: String, default value: [Int64]) -> [Int64] {
        attributes[name]?.intsValue ?? value
    }

    public func floats(_ name: String, default value: [Float]) -> [Float] {
        attributes[name]?.floatsValue ?? value
    }

    public func strings(_ name: String, default value: [String]) -> [String] {
        attributes[name]?.stringsValue ?? value
    }

    public func tensor(_ name: String) -> OnnxTensor? {
        attributes[name]?.tensorValue
    }

    // Strict accessors: the default when absent, `EdgeError(.format)` when the attribute
    // has another kind, or when it is absent and there is no default.

    public func requireInt(_ name: String, default value: Int64? = nil) throws -> Int64 {
        try require(name, "INT", value) { $0.intValue }
    }

    public func requireFloat(_ name: String, default value: Float? = nil) throws -> Float {
        try require(name, "FLOAT", value) { $0.floatValue }
    }

    public func requireString(_ name: String, default value: String? = nil) throws -> String {
        try require(name, "STRING", value) { $0.stringValue }
    }

    public func requireInts(_ name: String, default value: [Int64]? = nil) throws -> [Int64] {
        try require(name, "INTS", value) { $0.intsValue }
    }

    public func requireFloats(_ name: String, default value: [Float]? = nil) throws -> [Float] {
        try require(name, "FLOATS", value) { $0.floatsValue }
    }

    public func requireStrings(_ name: String, default value: [String]? = nil) throws -> [String] {
        try require(name, "STRINGS", value) { $0.stringsValue }
    }

    public func requireTensor(_ name: String) throws -> OnnxTensor {
        try require(name, "TENSOR", nil) { $0.tensorValue }
    }

    private func require<T>(
        _ name: String, _ kind: String, _ fallback: T?, _ get: (OnnxAttribute) -> T?
    ) throws -> T {
        guard let attribute = attributes[name] else {
            if let fallback { return fallback }
            throw EdgeError(.format, "node \(label): required attribute '\(name)' (\(kind)) is missing")
        }
        guard let value = get(attribute) else {
            throw EdgeError(
                .format, "node \(label): attribute '\(name)' should be \(kind) but is \(attribute.typeName)")
        }
        return value
    }
}
