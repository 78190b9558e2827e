import CEdgeSupport
import EdgeFormat

/// One line of the device program's output, built as bytes.
///
/// Why not String interpolation and `+`: each interpolated line specialises the stdlib's
/// interpolation and String growth code (`_StringGuts.append`, small-string conversion,
/// integer-to-text), which cost about 6 KB of the device binary for a handful of status
/// lines. Appending UTF-8 bytes and decimal digits to one byte array costs a few hundred.
/// Every line goes out through fputs + fflush, so nothing is lost in a buffer if a later
/// step traps. A class, so that `add` calls chain on the one line being built.
final class Line {
    private var bytes: [UInt8] = []

    init(_ text: StaticString) {
        bytes.reserveCapacity(128)
        add(text)
    }

    @discardableResult
    func add(_ text: StaticString) -> Line {
        bytes.append(contentsOf: Utf8Text.bytes(text))
        return self
    }

    /// A name or a path (UTF-8 bytes as they are).
    @discardableResult
    func add(_ text: String) -> Line {
        Utf8Text.withUTF8(text) { bytes.append(contentsOf: $0) }
        return self
    }

    /// A decimal integer.
    @discardableResult
    func add(_ value: Int) -> Line {
        Utf8Text.appendDecimal(value, to: &bytes)
        return self
    }

    /// Nanoseconds as milliseconds with three decimals ("12.345").
    @discardableResult
    func add(ms nanos: UInt64) -> Line {
        let micros = Int((nanos + 500) / 1000)
        add(micros / 1000)
        bytes.append(0x2E)  // '.'
        return add(fraction: micros % 1000, digits: 3)
    }

    /// A byte count as the host's humanBytes prints it: "1.50 MiB", "12.0 KiB", "100 B".
    @discardableResult
    func add(humanBytes n: Int) -> Line {
        if n >= 1 << 20 {
            let hundredths = (n * 100 + (1 << 19)) >> 20
            add(hundredths / 100).add(".")
            return add(fraction: hundredths % 100, digits: 2).add(" MiB")
        }
        if n >= 1 << 10 {
            let tenths = (n * 10 + (1 << 9)) >> 10
            return add(tenths / 10).add(".").add(tenths % 10).add(" KiB")
        }
        return add(n).add(" B")
    }

    /// A shape as `ShapeText` prints it: "[1x3x224x224]".
    @discardableResult
    func add(shape: [Int]) -> Line {
        add("[")
        for i in 0..<shape.count {
            if i > 0 { add("x") }
            add(shape[i])
        }
        return add("]")
    }

    /// `value` (below 10^digits) with leading zeros.
    private func add(fraction value: Int, digits: Int) -> Line {
        var scale = 1
        for _ in 1..<digits { scale *= 10 }
        var v = value
        while scale > 0 {
            bytes.append(0x30 + UInt8(v / scale))
            v %= scale
            scale /= 10
        }
        return self
    }

    func out() { write(toStderr: false) }
    func err() { write(toStderr: true) }

    /// Ends the line in place (no copy): a Line is written once.
    private func write(toStderr: Bool) {
        bytes.append(0x0A)  // newline
        bytes.append(0)
        bytes.withUnsafeBufferPointer { p in
            let s = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
            if toStderr { edge_write_stderr(s) } else { edge_write_stdout(s) }
        }
    }
}

enum Paths {
    /// "dir" + a tensor's name -> "dir/name.npy" with the name made a safe file name
    /// (`Utf8Text.safeFileName`; no doubled slash; an empty dir gives the name).
    static func outputFile(_ dir: String, tensor name: String) -> String {
        var bytes = Utf8Text.bytes(dir)
        if let last = bytes.last, last != 0x2F { bytes.append(0x2F) }  // slash
        Utf8Text.appendSafeFileName(name, to: &bytes)
        bytes.append(contentsOf: Utf8Text.bytes(".npy"))
        return bytes.withUnsafeBufferPointer { Utf8Text.string($0) } ?? ""  // valid pieces and ASCII
    }

    /// `mkdir -p`: creates every missing directory of `path`, one prefix at a time (the
    /// C string cut with a NUL after each component, then restored).
    static func makeDirectories(_ path: String) -> Bool {
        var text = Utf8Text.cString(path)
        return text.withUnsafeMutableBufferPointer { c in
            func make() -> Bool {
                mkdir(c.baseAddress!, 0o755) == 0 || edge_errno() == 17  // 17: EEXIST
            }
            let end = c.count - 1  // the NUL
            for i in 0..<end where c[i] == 0x2F && i > 0 && c[i - 1] != 0x2F {  // slash ending a component
                c[i] = 0
                let made = make()
                c[i] = 0x2F
                if !made { return false }
            }
            return end == 0 || c[end - 1] == 0x2F || make()
        }
    }
}
