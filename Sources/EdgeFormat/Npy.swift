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
        let descr = String(decoding: descrBytes, as: UTF8.self)
        if let order = NpyArray.rawValue(header, key: "fortran_order"), order.starts(with: Array("True".utf8)) {
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
        let kinds = ["<f4", "<i4", "<f8", "<i8", "|u1", "|b1", "|i1"]
        guard let kind = kinds.firstIndex(where: { Utf8Text.equal($0, descr) }) else {
            throw EdgeError(.unsupported, "\(name): element type '\(descr)' is not supported (use float32)")
        }
        let width = kind < 2 ? 4 : kind < 4 ? 8 : 1
        guard r.remaining >= count * width else {
            throw EdgeError(.format, "\(name): data has \(r.remaining) bytes, shape needs \(count * width)")
        }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            switch kind {
            case 0: values[i] = try r.f32("data")
            case 1: values[i] = Float(try r.i32("data"))
            case 2: values[i] = Float(try r.f64("data"))
            case 3: values[i] = Float(try r.i64("data"))
            case 6: values[i] = Float(Int8(bitPattern: try r.u8("data")))
            default: values[i] = Float(try r.u8("data"))
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

    /// The file image: version 1.0 header padded so data starts 64-byte aligned.
    public func serialized() -> [UInt8] {
        var dims = ""
        for (i, d) in shape.enumerated() {
            if i > 0 { dims += ", " }
            dims += "\(d)"
        }
        if shape.count == 1 { dims += "," }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var w = ByteWriter()
        w.append([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        w.u16(UInt16(header.utf8.count))
        w.append(Array(header.utf8))
        for v in data { w.f32(v) }
        return w.bytes
    }

    public func write(_ path: String) throws(EdgeError) {
        try FileIO.write(path, serialized())
    }

    // The header is a Python dict literal; these small scanners read the three keys,
    // on bytes (see Utf8Text for why not Characters).
    static func rawValue(_ header: [UInt8], key: String) -> ArraySlice<UInt8>? {
        let pattern = Array("'\(key)':".utf8)
        guard header.count >= pattern.count else { return nil }
        for i in 0...(header.count - pattern.count) where header[i..<i + pattern.count].elementsEqual(pattern) {
            var j = i + pattern.count
            while j < header.count && header[j] == 0x20 { j += 1 }
            return header[j...]
        }
        return nil
    }

    static func quotedValue(_ header: [UInt8], key: String) -> ArraySlice<UInt8>? {
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
