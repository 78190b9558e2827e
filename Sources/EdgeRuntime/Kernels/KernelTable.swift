/// A read-only table (indices, strides, weights, tensor addresses) that a layer builds at
/// load time and reads in `run`.
///
/// Why not a stored `[Element]`: `run` must not allocate and should not pay for bounds
/// checks or `withUnsafeBufferPointer` closures in inner loops; a plain pointer gives
/// neither. Why a class: layer structs are values copied freely (into the `Layer` enum,
/// into the interpreter's arrays); a class gives the allocation exactly one owner whose
/// `deinit` frees it, whatever the number of copies of the struct.
final class KernelTable<Element> {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(_ values: [Element]) {
        count = values.count
        base = UnsafeMutablePointer<Element>.allocate(capacity: Swift.max(values.count, 1))
        for i in 0..<values.count { (base + i).initialize(to: values[i]) }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    @inline(__always)
    subscript(i: Int) -> Element { base[i] }
}

/// Row-major layout helpers shared by the data-movement kernels.
enum Strides {
    /// Element strides of a dense row-major tensor of `shape`.
    static func contiguous(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        var d = shape.count - 1
        while d >= 0 {
            strides[d] = s
            s &*= shape[d]
            d -= 1
        }
        return strides
    }

    /// Product of `shape[range]` (sizes were validated, so no overflow check).
    static func product(_ shape: [Int], _ range: Range<Int>) -> Int {
        var p = 1
        for d in range { p &*= shape[d] }
        return p
    }
}

/// One loop dimension of a strided copy: `count` steps, moving the source by `source`
/// and the destination by `destination` elements per step.
///
/// Why collapse: Slice, Transpose and the general Binary path iterate over the output
/// with a recursion per dim; merging dims whose strides chain (`outer == inner * count`)
/// and dropping size-1 dims turns e.g. an NCHW slice of whole rows into one long
/// `memcpy` per channel instead of one per element.
struct LoopDim {
    var count: Int
    var source: Int
    var destination: Int

    /// Drops size-1 dims and merges neighbours whose strides chain, outermost first.
    static func collapse(_ dims: [LoopDim]) -> [LoopDim] {
        var out: [LoopDim] = []
        for d in dims where d.count != 1 {
            if let last = out.last,
               last.source == d.source &* d.count, last.destination == d.destination &* d.count {
                out[out.count - 1] = LoopDim(count: last.count &* d.count, source: d.source,
                                             destination: d.destination)
            } else {
                out.append(d)
            }
        }
        return out
    }
}
