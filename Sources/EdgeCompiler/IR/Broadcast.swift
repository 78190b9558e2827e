import EdgeFormat

/// Numpy broadcasting of shapes (ONNX's multidirectional broadcasting).
enum Broadcast {
    static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                return nil
            }
        }
        return out
    }

    static func shape(_ shapes: [[Int]], for node: Node) throws -> [Int] {
        var out: [Int] = []
        for s in shapes {
            guard let b = shape(out, s) else {
                throw EdgeError(.shape, "\(node.label): shapes \(shapes.map(ShapeText.of).joined(separator: ", ")) do not broadcast")
            }
            out = b
        }
        return out
    }
}
