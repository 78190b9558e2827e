/// Latency samples (nanoseconds) for min / median / percentile reports.
public enum Latency {
    /// Heapsort, ascending. Why not `samples.sort()`: the stdlib's stable sort is about
    /// 3 KB of specialised code in each device binary (`edge-run`, `edged`), and
    /// `edge-run --repeat` allows a million runs, so a quadratic sort would not do either.
    public static func sortAscending(_ v: inout [UInt64]) {
        // On the buffer: one uniqueness check, not one per swap and subscript.
        v.withUnsafeMutableBufferPointer { b in
            var end = b.count
            var start = end / 2
            while start > 0 {
                start -= 1
                siftDown(b, start, end)
            }
            while end > 1 {
                end -= 1
                b.swapAt(0, end)
                siftDown(b, 0, end)
            }
        }
    }

    /// Restores the max-heap below `root` within `v[0..<end]`.
    static func siftDown(_ v: UnsafeMutableBufferPointer<UInt64>, _ root: Int, _ end: Int) {
        var parent = root
        while true {
            var child = 2 * parent + 1
            if child >= end { return }
            if child + 1 < end && v[child + 1] > v[child] { child += 1 }
            if v[parent] >= v[child] { return }
            v.swapAt(parent, child)
            parent = child
        }
    }
}
