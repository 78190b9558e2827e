import CEdgeSupport

/// CRC32 and deflate through zlib (a well-kept library; no hand-written codec).
public enum Zlib {
    public static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        // zlib's length is a uInt: feed very large buffers in pieces.
        var crc: uLong = CEdgeSupport.crc32(0, nil, 0)
        var offset = 0
        while offset < bytes.count {
            let n = Swift.min(bytes.count - offset, 1 << 30)
            crc = CEdgeSupport.crc32(crc, (base + offset).assumingMemoryBound(to: Bytef.self), uInt(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0) }
    }

    /// zlib-format deflate at the given level (1 fast ... 9 small).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = 6) throws(EdgeError) -> [UInt8] {
        var bound = Int(compressBound(uLong(input.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let status = out.withUnsafeMutableBytes { dst -> Int32 in
            var destLen = uLongf(bound)
            let src = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            let r = compress2(dst.baseAddress!.assumingMemoryBound(to: Bytef.self), &destLen, src, uLong(input.count), level)
            bound = Int(destLen)
            return r
        }
        guard status == Z_OK else { throw EdgeError(.io, "zlib compress failed (status \(status))") }
        out.removeLast(out.count - bound)
        return out
    }

    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws(EdgeError) -> [UInt8] {
        // withUnsafeBytes is rethrows (untyped): carry the typed error out as a Result.
        let result = bytes.withUnsafeBytes { raw -> Result<[UInt8], EdgeError> in
            do throws(EdgeError) { return .success(try compress(raw, level: level)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Inflates zlib data that must expand to exactly `expectedSize` bytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(EdgeError) {
        var destLen = uLongf(output.count)
        guard let src = input.baseAddress, let dst = output.baseAddress else {
            if input.count == 0 && output.count == 0 { return }
            throw EdgeError(.format, "compressed section is empty")
        }
        let status = uncompress(dst.assumingMemoryBound(to: Bytef.self), &destLen,
                                src.assumingMemoryBound(to: Bytef.self), uLong(input.count))
        guard status == Z_OK else {
            throw EdgeError(.format, "compressed section does not inflate (zlib status \(status))")
        }
        guard Int(destLen) == output.count else {
            throw EdgeError(.format, "compressed section inflates to \(destLen) bytes, header says \(output.count)")
        }
    }
}
