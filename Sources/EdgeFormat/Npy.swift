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
        // \x93NUMPY, then the major and minor version bytes (fewer bytes: not a .npy file).
        let head = r.remaining >= 8 ? try r.record(8, "magic") : nil
        guard let head, head.u32(0) == 0x4D55_4E93, head.u16(4) == 0x5950 else {
            throw EdgeError(.format, "\(name): not a .npy file (bad magic)")
        }
        let major = head.u8(6)
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try r.u16("header length"))
        case 2, 3: headerLength = Int(try r.u32("header length"))
        default: throw EdgeError(.unsupported, "\(name): .npy version \(major) is not supported")
        }
        guard headerLength <= r.remaining else { throw EdgeError(.format, "\(name): truncated .npy header") }
        let start = r.position
        let header = UnsafeRawBufferPointer(rebasing: bytes[start..<start + headerLength]).assumingMemoryBound(to: UInt8.self)
        try r.skip(headerLength, "header")

        guard let descr = NpyArray.quotedValue(header, key: "descr") else {
            throw EdgeError(.format, "\(name): .npy header has no descr")
        }
        if let order = NpyArray.rawValue(header, key: "fortran_order"), Utf8Text.equal(order, "True", prefix: true) {
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
        guard let kind = NpyArray.elementKind(descr) else {
            throw EdgeError(.unsupported, "\(name): element type '\(Utf8Text.string(descr) ?? "?")' is not supported (use float32)")
        }
        let width = kind < 2 ? 4 : kind < 4 ? 8 : 1
        guard r.remaining >= count * width else {
            throw EdgeError(.format, "\(name): data has \(r.remaining) bytes, shape needs \(count * width)")
        }
        // Bounds checked once above: plain loads, not one throwing read per element, stored
        // through the new array's pointer (no uniqueness or bounds check per element).
        let base = r.position
        data = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count {
                let o = base &+ i &* width
                let v: Float
                switch kind {
                case 0: v = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                case 1: v = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                case 2: v = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
                case 3: v = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                case 6: v = Float(Int8(bitPattern: bytes[o]))
                default: v = Float(bytes[o])
                }
                (out.baseAddress! + i).initialize(to: v)
            }
            initialized = count
        }
    }

    public static func read(_ path: String) throws(EdgeError) -> NpyArray {
        // Mapped, as models are: no copy of the file, and no closure to carry a typed
        // error out of `withUnsafeBytes` (the values are converted into their own array).
        let file = try MappedFile(path: path)
        defer { withExtendedLifetime(file) {} }  // mapped until the values are read
        return try NpyArray(bytes: file.bytes, name: path)
    }

    /// The file image: version 1.0 header padded so data starts 64-byte aligned. The header
    /// is built as bytes, not as a String (see `Utf8Text.bytes`).
    public func serialized() -> [UInt8] {
        data.withUnsafeBufferPointer { NpyArray.image(shape: shape, data: $0) }
    }

    public func write(_ path: String) throws(EdgeError) {
        try FileIO.write(path, serialized())
    }

    /// Writes `data` (e.g. a tensor in the arena) without first copying it into an array,
    /// nor (little-endian) into a file image behind the header.
    public static func write(_ path: String, shape: [Int], data: UnsafeBufferPointer<Float>) throws(EdgeError) {
#if _endian(little)
        try FileIO.write(path, header(shape), then: UnsafeRawBufferPointer(data))
#else
        try FileIO.write(path, image(shape: shape, data: data))
#endif
    }

    static func image(shape: [Int], data: UnsafeBufferPointer<Float>) -> [UInt8] {
        var out = header(shape)
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

    /// Magic, version and the header dict, padded so the data starts 64-byte aligned.
    static func header(_ shape: [Int]) -> [UInt8] {
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
        return out
    }

    /// The header's element type: 0 <f4, 1 <i4, 2 <f8, 3 <i8, 4 |u1, 5 |b1, 6 |i1 (the
    /// conversion switch below uses these numbers).
    static func elementKind(_ descr: UnsafeBufferPointer<UInt8>) -> Int? {
        if Utf8Text.equal(descr, "<f4") { return 0 }
        if Utf8Text.equal(descr, "<i4") { return 1 }
        if Utf8Text.equal(descr, "<f8") { return 2 }
        if Utf8Text.equal(descr, "<i8") { return 3 }
        if Utf8Text.equal(descr, "|u1") { return 4 }
        if Utf8Text.equal(descr, "|b1") { return 5 }
        if Utf8Text.equal(descr, "|i1") { return 6 }
        return nil
    }

    // The header is a Python dict literal; these small scanners read the three keys,
    // on bytes (see Utf8Text for why not Characters), in place.
    /// The text after `'key':` and any spaces, to the end of the header.
    static func rawValue(_ header: UnsafeBufferPointer<UInt8>, key: StaticString) -> UnsafeBufferPointer<UInt8>? {
        let k = Utf8Text.bytes(key)
        guard header.count >= k.count + 3 else { return nil }
        for i in 0...(header.count - k.count - 3)
        where header[i] == 0x27 && Utf8Text.same(header, at: i + 1, k) && header[i + k.count + 1] == 0x27
            && header[i + k.count + 2] == 0x3A {  // 'key':
            var j = i + k.count + 3
            while j < header.count && header[j] == 0x20 { j += 1 }
            return UnsafeBufferPointer(rebasing: header[j...])
        }
        return nil
    }

    static func quotedValue(_ header: UnsafeBufferPointer<UInt8>, key: StaticString) -> UnsafeBufferPointer<UInt8>? {
        guard let rest = rawValue(header, key: key), let q = rest.first, q == 0x27 || q == 0x22,
              let end = rest.dropFirst().firstIndex(of: q) else { return nil }
        return UnsafeBufferPointer(rebasing: rest[1..<end])
    }

    static func parseShape(_ text: UnsafeBufferPointer<UInt8>, name: String) throws(EdgeError) -> [Int] {
        guard text.first == 0x28, let close = text.firstIndex(of: 0x29) else {  // ( ... )
            throw EdgeError(.format, "\(name): malformed shape in .npy header")
        }
        var dims: [Int] = []
        var current = 0
        var digits = 0
        for c in text[1..<close] {
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
