/// One entry of the tensor table.
public struct EdgmTensor: Equatable {
    public var name: String
    public var elementType: ElementType
    public var storage: TensorStorage
    public var shape: [Int]
    /// Byte offset in the arena or in the WGHT section.
    public var offset: Int
    public var byteCount: Int
    /// The tensor whose arena bytes this one views under another shape (a Reshape,
    /// Flatten, Squeeze or Unsqueeze output), or -1. Always an earlier tensor.
    public var aliasOf: Int32

    public init(name: String, elementType: ElementType = .float32, storage: TensorStorage, shape: [Int], offset: Int, byteCount: Int, aliasOf: Int32 = -1) {
        self.name = name
        self.elementType = elementType
        self.storage = storage
        self.shape = shape
        self.offset = offset
        self.byteCount = byteCount
        self.aliasOf = aliasOf
    }

    public var elementCount: Int {
        var n = 1
        for d in shape { n &*= d }
        return n
    }
}

/// A metadata value: GGUF-style typed key-value pairs.
public enum MetaValue: Equatable {
    case string(String)
    case int(Int64)
    case float(Double)
    case strings([String])
    case ints([Int64])

    var typeCode: UInt8 {
        switch self {
        case .string: return 1
        case .int: return 2
        case .float: return 3
        case .strings: return 4
        case .ints: return 5
        }
    }
}

public struct MetaEntry: Equatable {
    public var key: String
    public var value: MetaValue

    public init(_ key: String, _ value: MetaValue) {
        self.key = key
        self.value = value
    }
}

/// The GRPH section: what the runtime needs besides ops and tensors.
public struct EdgmGraph: Equatable {
    /// Bytes of the activation arena the memory plan needs.
    public var arenaBytes: Int
    /// The largest sum of live tensor bytes at any step: no plan can use less.
    public var arenaLowerBound: Int
    public var inputs: [Int32]
    public var outputs: [Int32]

    public init(arenaBytes: Int, arenaLowerBound: Int, inputs: [Int32], outputs: [Int32]) {
        self.arenaBytes = arenaBytes
        self.arenaLowerBound = arenaLowerBound
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// Everything in a `.edgm` file except the weight bytes, which stay where they are.
public struct EdgmModel {
    public var metadata: [MetaEntry]
    public var graph: EdgmGraph
    public var tensors: [EdgmTensor]
    public var ops: [OpDescription]

    public init(metadata: [MetaEntry], graph: EdgmGraph, tensors: [EdgmTensor], ops: [OpDescription]) {
        self.metadata = metadata
        self.graph = graph
        self.tensors = tensors
        self.ops = ops
    }

    public func meta(_ key: String) -> MetaValue? {
        for e in metadata where Utf8Text.equal(e.key, key) { return e.value }
        return nil
    }

    public func metaString(_ key: String) -> String? {
        if case .string(let s)? = meta(key) { return s }
        return nil
    }

    /// The distinct op codes the ops use, ascending: what GRPH lists (format 1.1).
    /// `allCases` is in ascending raw order (codes are only ever appended), so no sort is
    /// needed (the stdlib's sort is about 3 KB of the device binary).
    public var opCodes: [OpCode] {
        // One pass over the ops, a bit per raw value (all below 64: EdgmOpListTests).
        var seen: UInt64 = 0
        for i in 0..<ops.count { seen |= 1 << (ops[i].code.rawValue & 63) }  // in place, no copy of each op
        var codes: [OpCode] = []
        for c in OpCode.allCases where seen & (1 << (c.rawValue & 63)) != 0 { codes.append(c) }
        return codes
    }

    public func tensorIndex(named name: String) -> Int? {
        for i in 0..<tensors.count where Utf8Text.equal(tensors[i].name, name) { return i }
        return nil
    }
}

/// A section as found in the file (for `edgec inspect`).
public struct EdgmSectionInfo {
    public var tag: UInt32
    public var flags: UInt32
    public var offset: Int
    public var storedSize: Int
    public var size: Int
    public var crc: UInt32

    public var name: String {
        if let t = SectionTag(rawValue: tag) { return t.name }
        return "0x" + String(tag, radix: 16)
    }
}
