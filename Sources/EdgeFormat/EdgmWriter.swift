/// Serialises a model into the `.edgm` layout (Formats/EDGM.md).
public enum EdgmWriter {
    /// - Parameters:
    ///   - weights: the WGHT section body; tensor offsets point into it.
    ///   - compressWeights: zlib the weight section (smaller for transport; the
    ///     loader then inflates instead of mapping in place).
    public static func serialize(_ model: EdgmModel, weights: [UInt8], compressWeights: Bool = false) throws(EdgeError) -> [UInt8] {
        var codes: [UInt16] = []
        for c in model.opCodes { codes.append(c.rawValue) }
        return try serialize(model, weights: weights, compressWeights: compressWeights, opCodeList: codes, minor: EdgmLayout.minorVersion)
    }

    /// `opCodeList` and `minor` are separate so tests can write older or inconsistent files
    /// (minor 0 has no op code list in GRPH).
    static func serialize(_ model: EdgmModel, weights: [UInt8], compressWeights: Bool,
                          opCodeList: [UInt16], minor: UInt16) throws(EdgeError) -> [UInt8] {
        var sections: [(SectionTag, [UInt8], Bool)] = []
        sections.append((.meta, metadataBytes(model.metadata), false))
        sections.append((.graph, graphBytes(model.graph, opCodes: minor >= 1 ? opCodeList : nil), false))
        sections.append((.tensors, tensorBytes(model.tensors), false))
        sections.append((.ops, opBytes(model.ops), false))
        sections.append((.weights, weights, compressWeights))

        let tableEnd = EdgmLayout.headerSize + sections.count * EdgmLayout.sectionEntrySize
        var table = ByteWriter()
        var body = ByteWriter()
        // Section bodies start after header and table, each 64-byte aligned.
        let bodyStart = (tableEnd + EdgmLayout.alignment - 1) / EdgmLayout.alignment * EdgmLayout.alignment
        for (tag, raw, compress) in sections {
            body.align(to: EdgmLayout.alignment)
            let stored = compress ? try Zlib.compress(raw) : raw
            table.u32(tag.rawValue)
            table.u32(compress ? EdgmLayout.flagCompressed : 0)
            table.u64(UInt64(bodyStart + body.count))
            table.u64(UInt64(stored.count))
            table.u64(UInt64(raw.count))
            table.u32(Zlib.crc32(stored))
            table.u32(0)
            table.u64(0)
            body.append(stored)
        }

        var out = ByteWriter()
        out.u32(EdgmLayout.magic)
        out.u16(EdgmLayout.majorVersion)
        out.u16(minor)
        out.u32(UInt32(EdgmLayout.headerSize))
        out.u32(UInt32(sections.count))
        out.u64(UInt64(bodyStart + body.count))
        out.u32(0)
        out.u32(Zlib.crc32(table.bytes))
        out.align(to: EdgmLayout.headerSize)
        out.append(table.bytes)
        out.align(to: EdgmLayout.alignment)
        out.append(body.bytes)
        return out.bytes
    }

    static func metadataBytes(_ entries: [MetaEntry]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(entries.count))
        for e in entries {
            w.string(e.key)
            w.u8(e.value.typeCode)
            switch e.value {
            case .string(let s): w.string(s)
            case .int(let v): w.i64(v)
            case .float(let v): w.f64(v)
            case .strings(let list):
                w.u32(UInt32(list.count))
                for s in list { w.string(s) }
            case .ints(let list):
                w.u32(UInt32(list.count))
                for v in list { w.i64(v) }
            }
        }
        return w.bytes
    }

    static func graphBytes(_ g: EdgmGraph, opCodes: [UInt16]?) -> [UInt8] {
        var w = ByteWriter()
        w.u64(UInt64(g.arenaBytes))
        w.u64(UInt64(g.arenaLowerBound))
        w.u32(UInt32(g.inputs.count))
        for id in g.inputs { w.i32(id) }
        w.u32(UInt32(g.outputs.count))
        for id in g.outputs { w.i32(id) }
        if let opCodes {
            w.u32(UInt32(opCodes.count))
            for c in opCodes { w.u16(c) }
        }
        return w.bytes
    }

    static func tensorBytes(_ tensors: [EdgmTensor]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(tensors.count))
        for t in tensors {
            w.string(t.name)
            w.u8(t.elementType.rawValue)
            w.u8(t.storage.rawValue)
            w.u8(UInt8(t.shape.count))
            w.u8(0)
            for d in t.shape { w.i64(Int64(d)) }
            w.u64(UInt64(t.offset))
            w.u64(UInt64(t.byteCount))
            w.i32(t.aliasOf)
        }
        return w.bytes
    }

    static func opBytes(_ ops: [OpDescription]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(ops.count))
        for op in ops {
            w.u16(op.code.rawValue)
            w.u16(0)
            w.string(op.name)
            w.u32(UInt32(op.inputs.count))
            for id in op.inputs { w.i32(id) }
            w.u32(UInt32(op.outputs.count))
            for id in op.outputs { w.i32(id) }
            w.u32(UInt32(op.ints.count))
            for v in op.ints { w.i64(v) }
            w.u32(UInt32(op.floats.count))
            for v in op.floats { w.f32(v) }
        }
        return w.bytes
    }
}
