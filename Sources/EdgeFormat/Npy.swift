/// NumPy `.npy` arrays, the exchange format of `edgec run` and the device program.
///
/// Reads little-endian float32/float64/int64/int32/uint8/bool in C order (converted to
/// Float: the runtime computes in fp32); writes float32, format version 1.0.
public struct NpyArray: Equatable {
    public var shape: [Int]
    public var data: [Float]

    /// Largest element count read (2^34; less where Int has 32 bits, so that the byte
    /// count of any element type still fits in an Int).
    static let maxElements = Int.bitWidth == 64 ? 1 << 34 : Int.max >> 3

    public init(shape: [Int], data: [Float]) {
        self.shape = shape
        self.data = data
    }

    public init(bytes: UnsafeRawBufferPointer, name: String = "npy") throws(EdgeError) {
        var r = ByteReader(bytes, context: name)
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // \x93NUMPY
        for m in magic {
            guard try r.u8("magic") == m else { throw EdgeError(.format, "\(name): not a .npy file (bad magic)") }
        }
        let major = try r.u8("version")
        _ = try r.u8("version")
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try r.u16("header length"))
        case 2, 3: headerLength = Int(try r.u32("header length"))
        default: throw EdgeError(.unsupported, "\(name): .npy version \(major) is not supported")
        }
        guard headerLength <= r.remaining else { throw EdgeError(.format, "\(name): truncated .npy header") }
        let start = r.position
        let header = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<start + headerLength]))
        try r.skip(headerLength, "header")

        guard let descrBytes = NpyArray.quotedValue(header, key: "descr") else {
            throw EdgeError(.format, "\(name): .npy header has no descr")
        }
        if let order = NpyArray.rawValue(header, key: "fortran_order"), NpyArray.starts(order, with: "True") {
            throw EdgeError(.unsupported, "\(name): Fortran-order arrays are not supported (save with C order)")
        }
        guard let shapeText = NpyArray.rawValue(header, key: "shape") else {
            throw EdgeError(.format, "\(name): .npy header has no shape")
        }
        shape = try NpyArray.parseShape(shapeText, name: name)
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o, p <= NpyArray.maxElements else { throw EdgeError(.format, "\(name): shape is too large") }
            count = p
        }

        // Byte comparisons: String == would link the Unicode tables into the device build.
        let kinds: [StaticString] = ["<f4", "<i4", "<f8", "<i8", "|u1", "|b1", "|i1"]
        guard let kind = kinds.firstIndex(where: { descrBytes.count == $0.utf8CodeUnitCount && NpyArray.starts(descrBytes, with: $0) }) else {
            throw EdgeError(.unsupported, "\(name): element type '\(descrBytes.withUnsafeBufferPointer { Utf8Text.string($0) } ?? "?")' is not supported (use float32)")
        }
        let width = kind < 2 ? 4 : kind < 4 ? 8 : 1
        guard r.remaining >= count * width else {
            throw EdgeError(.format, "\(name): data has \(r.remaining) bytes, shape needs \(count * width)")
        }
        // Bounds checked once above: plain loads, not one throwing read per element.
        let base = r.position
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let o = base + i * width
            switch kind {
            case 0: values[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
            case 1: values[i] = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int32.self)))
            case 2: values[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
            case 3: values[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int64.self)))
            case 6: values[i] = Float(Int8(bitPattern: bytes[o]))
            default: values[i] = Float(bytes[o])
            }
        }
        data = values
    }

    public static func read(_ path: String) throws(EdgeError) -> NpyArray {
        let bytes = try FileIO.read(path)
        let result = bytes.withUnsafeBytes { raw -> Result<NpyArray, EdgeError> in
            do throws(EdgeError) { return .success(try NpyArray(bytes: raw, name: path)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The file image: version 1.0 header padded so data starts 64-byte aligned. The header
    /// is built as bytes, not as a String (see `Utf8Text.bytes`).
    public func serialized() -> [UInt8] {
        data.withUnsafeBufferPointer { NpyArray.image(shape: shape, data: $0) }
    }

    public func write(_ path: String) throws(EdgeError) {
        try FileIO.write(path, serialized())
    }

    /// Writes `data` (e.g. a tensor in the arena) without first copying it into an array.
    public static func write(_ path: String, shape: [Int], data: UnsafeBufferPointer<Float>) throws(EdgeError) {
        try FileIO.write(path, image(shape: shape, data: data))
    }

    static func image(shape: [Int], data: UnsafeBufferPointer<Float>) -> [UInt8] {
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0, 0]  // magic, 1.0, length
        out.append(contentsOf: Utf8Text.bytes("{'descr': '<f4', 'fortran_order': False, 'shape': ("))
        for i in 0..<shape.count {
            if i > 0 { out.append(contentsOf: Utf8Text.bytes(", ")) }
            Utf8Text.appendDecimal(shape[i], to: &out)
        }
        if shape.count == 1 { out.append(0x2C) }  // a 1-tuple: "(5,)"
        out.append(contentsOf: Utf8Text.bytes("), }"))
        while (out.count + 1) % 64 != 0 { out.append(0x20) }
        out.append(0x0A)
        let headerLength = out.count - 10
        out[8] = UInt8(truncatingIfNeeded: headerLength)
        out[9] = UInt8(truncatingIfNeeded: headerLength >> 8)
        out.reserveCapacity(out.count + 4 * data.count)
#if _endian(little)
        out.append(contentsOf: UnsafeRawBufferPointer(data))
#else
        for v in data {
            let b = v.bitPattern
            out.append(contentsOf: [UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8),
                                    UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24)])
        }
#endif
        return out
    }

    // The header is a Python dict literal; these small scanners read the three keys,
    // on bytes (see Utf8Text for why not Characters).
    static func rawValue(_ header: [UInt8], key: StaticString) -> ArraySlice<UInt8>? {
        var pattern: [UInt8] = [0x27]  // 'key':
        pattern.append(contentsOf: Utf8Text.bytes(key))
        pattern.append(contentsOf: [0x27, 0x3A])
        guard header.count >= pattern.count else { return nil }
        for i in 0...(header.count - pattern.count) where header[i..<i + pattern.count].elementsEqual(pattern) {
            var j = i + pattern.count
            while j < header.count && header[j] == 0x20 { j += 1 }
            return header[j...]
        }
        return nil
    }

    static func starts(_ bytes: ArraySlice<UInt8>, with prefix: StaticString) -> Bool {
        let p = Utf8Text.bytes(prefix)
        guard bytes.count >= p.count else { return false }
        var i = bytes.startIndex
        for b in p {
            guard bytes[i] == b else { return false }
            i += 1
        }
        return true
    }

    static func quotedValue(_ header: [UInt8], key: StaticString) -> ArraySlice<UInt8>? {
        guard let rest = rawValue(header, key: key), let q = rest.first, q == 0x27 || q == 0x22 else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: q) else { return nil }
        return body[..<end]
    }

    static func parseShape(_ text: ArraySlice<UInt8>, name: String) throws(EdgeError) -> [Int] {
        guard text.first == 0x28, let close = text.firstIndex(of: 0x29) else {  // ( ... )
            throw EdgeError(.format, "\(name): malformed shape in .npy header")
        }
        var dims: [Int] = []
        var current = 0
        var digits = 0
        for c in text[(text.startIndex + 1)..<close] {
            if c >= 0x30 && c <= 0x39 {
                let v = Int(c - 0x30)
                guard current <= (NpyArray.maxElements - v) / 10 else { throw EdgeError(.format, "\(name): dimension too large") }
                current = current * 10 + v
                digits += 1
            } else if c == 0x2C {  // ,
                if digits > 0 { dims.append(current) }
                current = 0
                digits = 0
            } else if c != 0x20 && c != 0x4C {  // space, L (Python 2 longs)
                throw EdgeError(.format, "\(name): malformed shape in .npy header")
            }
        }
        if digits > 0 { dims.append(current) }
        return dims
    }
}
