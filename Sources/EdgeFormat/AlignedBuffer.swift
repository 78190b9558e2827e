import CEdgeSupport

/// A 64-byte aligned, zero-filled heap block freed with its owner. Used for the activation
/// arena, scratch, and weights inflated from a compressed section.
public final class AlignedBuffer {
    public let raw: UnsafeMutableRawPointer
    public let byteCount: Int

    public init(byteCount: Int) throws(EdgeError) {
        guard byteCount >= 0, let p = edge_aligned_alloc(byteCount) else {
            throw EdgeError(.io, "cannot allocate \(byteCount) bytes")
        }
        memset(p, 0, byteCount == 0 ? 64 : byteCount)
        raw = p
        self.byteCount = byteCount
    }

    deinit { free(raw) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: raw, count: byteCount) }
    public var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
}
