/// Fixed numbers of the `.edgm` container (Formats/EDGM.md is the spec).
public enum EdgmLayout {
    /// "EDGM" read as a little-endian u32.
    public static let magic: UInt32 = 0x4D47_4445
    public static let majorVersion: UInt16 = 1
    /// 1: GRPH lists the op codes the model uses (Formats/EDGM.md, "Versions").
    public static let minorVersion: UInt16 = 1
    public static let headerSize = 64
    public static let sectionEntrySize = 48
    /// Alignment of every section and every weight blob: a cache line, and enough for
    /// any SIMD load, so an mmap'd file is used in place.
    public static let alignment = 64
    /// Sections are few; a larger count is a corrupt or hostile file.
    public static let maxSections = 64
    /// Section flag: stored bytes are zlib-compressed (for transport).
    public static let flagCompressed: UInt32 = 1
    /// Largest tensor rank the runtime handles.
    public static let maxRank = 8
}

/// Four-character section tags.
public enum SectionTag: UInt32, CaseIterable {
    /// Key-value metadata (model name, source hash, variant tag, ...).
    case meta = 0x4154_454D // "META"
    /// Arena size, its lower bound, graph input and output tensor ids.
    case graph = 0x4850_5247 // "GRPH"
    /// Tensor table.
    case tensors = 0x534E_4554 // "TENS"
    /// Op list in execution order.
    case ops = 0x2053_504F // "OPS "
    /// Weight blobs, each 64-byte aligned, in the layout kernels consume.
    case weights = 0x5448_4757 // "WGHT"

    public var name: String {
        switch self {
        case .meta: return "META"
        case .graph: return "GRPH"
        case .tensors: return "TENS"
        case .ops: return "OPS"
        case .weights: return "WGHT"
        }
    }
}

public enum ElementType: UInt8 {
    case float32 = 1
}

/// Where a tensor's bytes live at run time.
public enum TensorStorage: UInt8 {
    /// In the activation arena at `offset` (inputs, outputs, intermediates).
    case arena = 0
    /// In the WGHT section at `offset` (read-only; never an op output).
    case weight = 1
}
