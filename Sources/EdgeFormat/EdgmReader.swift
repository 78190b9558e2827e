/// Parses and validates a `.edgm` image held in memory (mmap'd or read).
///
/// Nothing in the bytes is trusted: every offset, size and count is checked against the
/// image before use, and CRCs are verified by default, so a corrupt or hostile file ends
/// in an `EdgeError` that says what is wrong. Weights are not copied: `weights` points
/// into the image unless the section was compressed.
public struct EdgmFile {
    public var model: EdgmModel
    public var sections: [EdgmSectionInfo]
    public var version: (major: UInt16, minor: UInt16)
    /// The weight bytes, 64-byte aligned when the image is.
    public var weights: UnsafeRawBufferPointer
    /// Owns inflated weights when the WGHT section was compressed.
    public var inflatedWeights: AlignedBuffer?

    /// Largest arena or weight size accepted (1 TiB; where Int has 32 bits, as on armv7,
    /// `1 << 40` would be 0): beyond it a size is corrupt, not big.
    static let sizeLimit = Int.bitWidth == 64 ? 1 << 40 : Int.max >> 1

    public init(image: UnsafeRawBufferPointer, verifyChecksums: Bool = true) throws(EdgeError) {
        var header = ByteReader(image, context: "edgm header")
        guard image.count >= EdgmLayout.headerSize else {
            throw EdgeError(.format, "not an .edgm file: \(image.count) bytes is shorter than the \(EdgmLayout.headerSize)-byte header")
        }
        // magic u32, major u16, minor u16, header size u32, section count u32, file size
        // u64, flags u32, section table CRC u32 (Formats/EDGM.md).
        let fields = try header.record(32, "header fields")
        guard fields.u32(0) == EdgmLayout.magic else {
            throw EdgeError(.format, "not an .edgm file: bad magic")
        }
        let major = fields.u16(4)
        let minor = fields.u16(6)
        guard major == EdgmLayout.majorVersion else {
            throw EdgeError(.unsupported, "edgm format version \(major).\(minor) is not supported (this build reads \(EdgmLayout.majorVersion).x)")
        }
        let headerSize = Int(fields.u32(8))
        let sectionCount = Int(fields.u32(12))
        let fileSize = fields.u64(16)
        let tableCRC = fields.u32(28)
        guard headerSize == EdgmLayout.headerSize else {
            throw EdgeError(.format, "edgm header: header size \(headerSize) is not \(EdgmLayout.headerSize)")
        }
        guard fileSize == UInt64(image.count) else {
            throw EdgeError(.format, "edgm file is \(image.count) bytes but its header says \(fileSize) (truncated or padded)")
        }
        guard sectionCount <= EdgmLayout.maxSections else {
            throw EdgeError(.format, "edgm header: \(sectionCount) sections is more than the \(EdgmLayout.maxSections) allowed")
        }
        let tableEnd = headerSize + sectionCount * EdgmLayout.sectionEntrySize
        guard tableEnd <= image.count else {
            throw EdgeError(.format, "edgm section table runs past the end of the file")
        }
        let table = UnsafeRawBufferPointer(rebasing: image[headerSize..<tableEnd])
        if verifyChecksums && Zlib.crc32(table) != tableCRC {
            throw EdgeError(.format, "edgm section table CRC mismatch (file corrupt)")
        }

        var sections: [EdgmSectionInfo] = []
        var reader = ByteReader(table, context: "edgm section table")
        for _ in 0..<sectionCount {
            // tag u32, flags u32, offset u64, stored size u64, size u64, CRC u32, 12 reserved.
            let e = try reader.record(EdgmLayout.sectionEntrySize, "section entry")
            let tag = e.u32(0), flags = e.u32(4), offset = e.u64(8), stored = e.u64(16), size = e.u64(24), crc = e.u32(32)
            let info = EdgmSectionInfo(tag: tag, flags: flags, offset: Int(truncatingIfNeeded: offset),
                                       storedSize: Int(truncatingIfNeeded: stored), size: Int(truncatingIfNeeded: size), crc: crc)
            guard offset <= UInt64(image.count), stored <= UInt64(image.count) - offset else {
                throw EdgeError(.format, "edgm section \(info.name): bytes \(offset)+\(stored) run past the end of the file (\(image.count) bytes)")
            }
            guard offset >= UInt64(tableEnd), offset % UInt64(EdgmLayout.alignment) == 0 else {
                throw EdgeError(.format, "edgm section \(info.name): offset \(offset) overlaps the header or is not \(EdgmLayout.alignment)-byte aligned")
            }
            guard size <= UInt64(EdgmFile.sizeLimit) else {
                throw EdgeError(.format, "edgm section \(info.name): size \(size) is implausible")
            }
            if flags & EdgmLayout.flagCompressed == 0 && stored != size {
                throw EdgeError(.format, "edgm section \(info.name): stored size \(stored) differs from size \(size) but the section is not compressed")
            }
            for s in sections where s.tag == tag {
                throw EdgeError(.format, "edgm section \(s.name) appears twice")
            }
            sections.append(info)
        }

        func find(_ tag: SectionTag, required: Bool) throws(EdgeError) -> EdgmSectionInfo? {
            for s in sections where s.tag == tag.rawValue { return s }
            if required { throw EdgeError(.format, "edgm file has no \(tag.name) section") }
            return nil
        }

        func body(_ s: EdgmSectionInfo) throws(EdgeError) -> UnsafeRawBufferPointer {
            let stored = UnsafeRawBufferPointer(rebasing: image[s.offset..<s.offset + s.storedSize])
            if verifyChecksums && Zlib.crc32(stored) != s.crc {
                throw EdgeError(.format, "edgm section \(s.name): CRC mismatch (file corrupt)")
            }
            return stored
        }

        // Metadata, graph, tensors and ops are small: compressed ones are inflated into
        // temporary buffers (`owner`, kept alive while parsing) and parsed from there.
        // Not a generic `parse<T>(section, parser)`: that was specialised per section.
        func open(_ s: EdgmSectionInfo, _ owner: inout AlignedBuffer?) throws(EdgeError) -> ByteReader {
            let stored = try body(s)
            if s.flags & EdgmLayout.flagCompressed == 0 {
                return ByteReader(stored, context: "edgm section \(s.name)")
            }
            let inflated = try AlignedBuffer(byteCount: s.size)
            try Zlib.decompress(stored, into: UnsafeMutableRawBufferPointer(start: inflated.raw, count: s.size))
            owner = inflated
            return ByteReader(inflated.bytes, context: "edgm section \(s.name)")
        }

        var owner: AlignedBuffer?
        var metadata: [MetaEntry] = []
        if let s = try find(.meta, required: false) {
            var r = try open(s, &owner)
            metadata = try EdgmFile.readMetadata(&r)
        }
        var graphReader = try open(try find(.graph, required: true)!, &owner)
        let (graph, listedOps) = try EdgmFile.readGraph(&graphReader, minor: minor)
        var tensorReader = try open(try find(.tensors, required: true)!, &owner)
        let tensors = try EdgmFile.readTensors(&tensorReader)
        var opReader = try open(try find(.ops, required: true)!, &owner)
        let ops = try EdgmFile.readOps(&opReader)
        owner = nil

        let w = try find(.weights, required: true)!
        let stored = try body(w)
        if w.flags & EdgmLayout.flagCompressed != 0 {
            let inflated = try AlignedBuffer(byteCount: w.size)
            try Zlib.decompress(stored, into: UnsafeMutableRawBufferPointer(start: inflated.raw, count: w.size))
            inflatedWeights = inflated
            weights = inflated.bytes
        } else {
            inflatedWeights = nil
            weights = stored
        }

        self.model = EdgmModel(metadata: metadata, graph: graph, tensors: tensors, ops: ops)
        if let listedOps {
            guard model.opCodes == listedOps else {
                throw EdgeError(.format, "edgm graph: its op code list does not match the op codes the OPS section uses")
            }
        }
        self.sections = sections
        self.version = (major, minor)
        try EdgmFile.validate(model, weightBytes: weights.count)
    }

    static func readMetadata(_ r: inout ByteReader) throws(EdgeError) -> [MetaEntry] {
        let n = try r.count("metadata entries", minBytesEach: 5)
        var entries: [MetaEntry] = []
        for _ in 0..<n {
            let key = try r.string("metadata key")
            let type = try r.u8("metadata type")
            let value: MetaValue
            switch type {
            case 1: value = .string(try r.string("metadata string"))
            case 2: value = .int(try r.i64("metadata int"))
            case 3: value = .float(try r.f64("metadata float"))
            case 4:
                let k = try r.count("metadata strings", minBytesEach: 4)
                var list: [String] = []
                for _ in 0..<k { list.append(try r.string("metadata string")) }
                value = .strings(list)
            case 5:
                let k = try r.count("metadata ints", minBytesEach: 8)
                var list: [Int64] = []
                for _ in 0..<k { list.append(try r.i64("metadata int")) }
                value = .ints(list)
            default:
                throw EdgeError(.format, "edgm metadata '\(key)': unknown value type \(type)")
            }
            entries.append(MetaEntry(key, value))
        }
        return entries
    }

    static func readIds(_ r: inout ByteReader, _ what: StaticString) throws(EdgeError) -> [Int32] {
        try r.integers(try r.count(what, minBytesEach: 4), what, as: Int32.self)
    }

    /// The graph, and from format 1.1 on the op codes the model uses. An op code this
    /// runtime does not know is refused here, before any op is read.
    static func readGraph(_ r: inout ByteReader, minor: UInt16) throws(EdgeError) -> (EdgmGraph, [OpCode]?) {
        let sizes = try r.record(16, "arena sizes")
        let arena = sizes.u64(0), lower = sizes.u64(8)
        guard arena <= UInt64(sizeLimit), lower <= arena else {
            throw EdgeError(.format, "edgm graph: arena size \(arena) (lower bound \(lower)) is implausible")
        }
        let inputs = try readIds(&r, "graph inputs")
        let outputs = try readIds(&r, "graph outputs")
        let graph = EdgmGraph(arenaBytes: Int(arena), arenaLowerBound: Int(lower), inputs: inputs, outputs: outputs)
        guard minor >= 1 else { return (graph, nil) }
        let n = try r.count("graph op codes", minBytesEach: 2)
        var codes: [OpCode] = []
        for _ in 0..<n {
            let raw = try r.u16("graph op code")
            guard let code = OpCode(rawValue: raw) else {
                throw EdgeError(.unsupported, "edgm model uses op code \(raw), which this runtime does not know (written by a newer compiler)")
            }
            codes.append(code)
        }
        return (graph, codes)
    }

    static func readTensors(_ r: inout ByteReader) throws(EdgeError) -> [EdgmTensor] {
        let n = try r.count("tensors", minBytesEach: 28)
        var tensors: [EdgmTensor] = []
        tensors.reserveCapacity(n)
        for i in 0..<n {
            let name = try r.string("tensor name")
            // element type u8, storage u8, rank u8, reserved u8.
            let kind = try r.record(4, "tensor type, storage and rank")
            let typeRaw = kind.u8(0), storageRaw = kind.u8(1), rank = Int(kind.u8(2))
            guard let type = ElementType(rawValue: typeRaw) else {
                throw EdgeError(.unsupported, "edgm tensor \(i) '\(name)': element type \(typeRaw) is not supported")
            }
            guard let storage = TensorStorage(rawValue: storageRaw) else {
                throw EdgeError(.format, "edgm tensor \(i) '\(name)': unknown storage \(storageRaw)")
            }
            guard rank <= EdgmLayout.maxRank else {
                throw EdgeError(.format, "edgm tensor \(i) '\(name)': rank \(rank) exceeds \(EdgmLayout.maxRank)")
            }
            var shape: [Int] = []
            var elements: Int64 = 1
            for d in try r.integers(rank, "tensor dims", as: Int64.self) {
                guard d >= 0, d <= Int64(sizeLimit) else {
                    throw EdgeError(.format, "edgm tensor '\(name)': dimension \(d) is invalid")
                }
                let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, p <= Int64(sizeLimit / 4) else {
                    throw EdgeError(.format, "edgm tensor '\(name)': element count overflows")
                }
                elements = p
                shape.append(Int(d))
            }
            // offset u64, byte count u64, alias i32.
            let place = try r.record(20, "tensor offset, size and alias")
            let offset = place.u64(0), bytes = place.u64(8), aliasOf = Int32(bitPattern: place.u32(16))
            guard aliasOf >= -1, aliasOf < Int32(i) else {
                throw EdgeError(.format, "edgm tensor '\(name)': alias \(aliasOf) must name an earlier tensor")
            }
            guard bytes == UInt64(elements) * 4 else {
                throw EdgeError(.format, "edgm tensor '\(name)': \(bytes) bytes do not match its shape (\(elements) floats)")
            }
            guard offset <= UInt64(sizeLimit), offset % 4 == 0 else {
                throw EdgeError(.format, "edgm tensor '\(name)': offset \(offset) is invalid")
            }
            tensors.append(EdgmTensor(name: name, elementType: type, storage: storage, shape: shape,
                                      offset: Int(offset), byteCount: Int(bytes), aliasOf: aliasOf))
        }
        return tensors
    }

    static func readOps(_ r: inout ByteReader) throws(EdgeError) -> [OpDescription] {
        let n = try r.count("ops", minBytesEach: 24)
        var ops: [OpDescription] = []
        ops.reserveCapacity(n)
        for i in 0..<n {
            let codeRaw = try r.record(4, "op code").u16(0)  // + u16 reserved
            let name = try r.string("op name")
            guard let code = OpCode(rawValue: codeRaw) else {
                throw EdgeError(.unsupported, "edgm op \(i) '\(name)': op code \(codeRaw) is not known to this runtime")
            }
            let inputs = try readIds(&r, "op inputs")
            let outputs = try readIds(&r, "op outputs")
            let ints = try r.integers(try r.count("op ints", minBytesEach: 8), "op ints", as: Int64.self)
            let floats = try r.floats(try r.count("op floats", minBytesEach: 4), "op floats")
            ops.append(OpDescription(code: code, name: name, inputs: inputs, outputs: outputs, ints: ints, floats: floats))
        }
        return ops
    }

    /// Cross-section checks: ids in range, tensors inside the arena or the weights, and
    /// nothing ever writes into the (read-only, possibly mmap'd) weights.
    static func validate(_ m: EdgmModel, weightBytes: Int) throws(EdgeError) {
        let count = m.tensors.count
        // One pass, reading fields in place (a `for t in m.tensors` copy retains each
        // tensor's name and shape). A plan never needs more than every arena tensor side by
        // side: a larger arena is corrupt, and would only make the loader allocate for nothing.
        var sideBySide = 64
        for i in 0..<count {
            let storage = m.tensors[i].storage, offset = m.tensors[i].offset, bytes = m.tensors[i].byteCount
            let alias = Int(m.tensors[i].aliasOf)
            if alias >= 0 {
                guard storage == .arena, m.tensors[alias].storage == .arena, m.tensors[alias].offset == offset,
                      m.tensors[alias].byteCount == bytes else {
                    throw EdgeError(.format, "edgm tensor '\(m.tensors[i].name)': alias of '\(m.tensors[alias].name)' must share its arena bytes exactly")
                }
            }
            let limit = storage == .arena ? m.graph.arenaBytes : weightBytes
            guard offset <= limit, bytes <= limit - offset else {
                let place = storage == .arena ? "arena" : "weights"
                throw EdgeError(.format, "edgm tensor '\(m.tensors[i].name)': bytes \(offset)+\(bytes) lie outside the \(place) (\(limit) bytes)")
            }
            if storage == .arena { sideBySide += (bytes + 63) / 64 * 64 }
        }
        guard m.graph.arenaBytes <= sideBySide else {
            throw EdgeError(.format, "edgm graph: arena of \(m.graph.arenaBytes) bytes exceeds the \(sideBySide) its tensors could need")
        }
        func checkArena(_ id: Int32, _ role: @autoclosure () -> String) throws(EdgeError) {
            guard id >= 0, Int(id) < count else {
                throw EdgeError(.format, "edgm \(role()): tensor id \(id) out of range (\(count) tensors)")
            }
            guard m.tensors[Int(id)].storage == .arena else {
                throw EdgeError(.format, "edgm \(role()): tensor '\(m.tensors[Int(id)].name)' is a weight, not an arena tensor")
            }
        }
        for id in m.graph.inputs { try checkArena(id, "graph input") }
        for id in m.graph.outputs { try checkArena(id, "graph output") }
        for k in 0..<m.ops.count {
            for id in m.ops[k].inputs where id != -1 {
                guard id >= 0, Int(id) < count else {
                    throw EdgeError(.format, "edgm op '\(m.ops[k].name)': input tensor id \(id) out of range (\(count) tensors)")
                }
            }
            for id in m.ops[k].outputs { try checkArena(id, "op '\(m.ops[k].name)' output") }
        }
    }
}
