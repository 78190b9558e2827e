import CEdgeSupport
import EdgeFormat

/// Edge's own SGEMM (Sources/CEdgeSupport/edge_gemm.c) as the layers call it.
///
/// Conv (pointwise, im2col, Winograd), Gemm and MatMul run on it instead of
/// `cblas_sgemm`: it takes every byte of working memory from the interpreter's scratch
/// (OpenBLAS 0.3.21 mallocs inside sgemm on some cores and shapes), and the weight side is
/// packed once at load in the kernel's panel layout instead of on every call.
public enum GemmKernel {
    /// The register-tile kernel this CPU runs best (AVX-512, AVX2+FMA, NEON or the portable
    /// one); decided once by the C side.
    public static var best: UnsafePointer<edge_gemm_kernel> { edge_gemm_best() }

    /// "avx2-6x16", ... for reports.
    public static var name: String { String(cString: best.pointee.name) }
}

/// Memory owned by a layer from load until it is released (packed weights).
final class OwnedFloats {
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) throws(EdgeError) {
        guard let raw = edge_aligned_alloc(Swift.max(count, 1) * 4) else {
            throw EdgeError(.io, "cannot allocate \(count * 4) bytes for packed weights")
        }
        pointer = raw.assumingMemoryBound(to: Float.self)
    }

    deinit { free(pointer) }
}

/// The left operands of a layer's GEMMs, `count` matrices of `rows x depth` (item i's
/// element (r, p) at `source + i * itemStride + r * rowStride + p * depthStride`), in the
/// kernel's panel layout: packed once at load when the source is constant (a weight),
/// or into scratch before each use when it is an activation.
struct PackedOperand {
    let kernel: UnsafePointer<edge_gemm_kernel>
    let source: UnsafePointer<Float>
    let rows: Int
    let depth: Int
    let rowStride: Int
    let depthStride: Int
    let itemStride: Int
    /// Floats of one packed item.
    let itemFloats: Int
    let packed: OwnedFloats?

    init(kernel: UnsafePointer<edge_gemm_kernel>, source: UnsafePointer<Float>, constant: Bool,
         rows: Int, depth: Int, rowStride: Int, depthStride: Int,
         count: Int = 1, itemStride: Int = 0) throws(EdgeError) {
        self.kernel = kernel
        self.source = source
        self.rows = rows
        self.depth = depth
        self.rowStride = rowStride
        self.depthStride = depthStride
        self.itemStride = itemStride
        itemFloats = Int(edge_gemm_packed_floats(kernel, rows, depth))
        if constant {
            let owned = try OwnedFloats(count: itemFloats * count)
            for i in 0..<count {
                edge_gemm_pack_left(kernel, source + i * itemStride, rowStride, depthStride, rows, depth,
                                    owned.pointer + i * itemFloats)
            }
            packed = owned
        } else {
            packed = nil
        }
    }

    /// Scratch floats `item(_:scratch:)` needs (0 when packed at load).
    var scratchFloats: Int { packed == nil ? itemFloats : 0 }

    /// Item i in packed form: the load-time copy, or packed now into `scratch`.
    @inline(__always)
    func item(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        if let packed { return UnsafePointer(packed.pointer + i * itemFloats) }
        edge_gemm_pack_left(kernel, source + i * itemStride, rowStride, depthStride, rows, depth, scratch)
        return UnsafePointer(scratch)
    }

    /// C_i = item_i · R_i for i in 0..<count, no epilogue: R_i (depth × n, rows `ldr`
    /// apart) at `right + i * rightItemStride`, C_i (rows × n, rows `ldc` apart) at
    /// `c + i * cItemStride`. Packed at load: one batch, a single parallel region (one
    /// wake-up and one join) when the pool has several threads. Otherwise item by item,
    /// each packed into `scratch` behind the GEMM's own `packedGemmScratch(n, depth)`.
    func multiplyBatch(count: Int, n: Int, right: UnsafePointer<Float>, rightItemStride: Int, ldr: Int,
                       c: UnsafeMutablePointer<Float>, cItemStride: Int, ldc: Int,
                       scratch: UnsafeMutablePointer<Float>) {
        if let packed {
            var ep = edge_gemm_epilogue(bias: nil, residual: nil, act: edge_activation(), accumulate: 0)
            edge_gemm_batch_parallel(kernel, count, rows, n, depth, packed.pointer, itemFloats, right,
                                     rightItemStride, ldr, 1, c, cItemStride, ldc, 1, &ep, scratch)
        } else {
            let leftScratch = scratch + packedGemmScratch(kernel, n: n, depth: depth)
            for i in 0..<count {
                packedGemm(kernel, m: rows, n: n, depth: depth, left: item(i, scratch: leftScratch),
                           right: right + i * rightItemStride, rowStride: ldr, columnStride: 1,
                           c: c + i * cItemStride, ldc: ldc, bias: nil, activation: .none, scratch: scratch)
            }
        }
    }
}

/// One GEMM call: `C = act(L * R + bias + residual)` (or `C += L * R` first, when
/// `accumulate`), split over the running interpreter's threads when it has more than one.
/// Bias, residual (read with C's strides; it must not overlap C) and activation are
/// applied in the kernel's store, on the registers.
@inline(__always)
func packedGemm(_ kernel: UnsafePointer<edge_gemm_kernel>, m: Int, n: Int, depth: Int,
                left: UnsafePointer<Float>, right: UnsafePointer<Float>, rowStride rsr: Int, columnStride csr: Int,
                c: UnsafeMutablePointer<Float>, ldc: Int, columnStrideC csc: Int = 1,
                bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>? = nil,
                activation: Activation, accumulate: Bool = false,
                scratch: UnsafeMutablePointer<Float>) {
    var ep = edge_gemm_epilogue(bias: bias, residual: residual, act: activation.c, accumulate: accumulate ? 1 : 0)
    withUnsafePointer(to: &ep) { e in
        edge_gemm_parallel(kernel, m, n, depth, left, right, rsr, csr, c, ldc, csc, e, scratch)
    }
}

/// Scratch floats of one `packedGemm` call with `n` columns and `depth`.
func packedGemmScratch(_ kernel: UnsafePointer<edge_gemm_kernel>, n: Int, depth: Int) -> Int {
    Int(edge_gemm_scratch_floats(kernel, n, depth))
}
