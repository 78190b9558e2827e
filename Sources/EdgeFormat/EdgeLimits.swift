/// Size limits shared by the compiler and the runtime, so that a model `edgec compile`
/// accepts also loads (the runtime's `SizeCheck` enforces them at load, the compiler's
/// shape inference at compile time).
public enum EdgeLimits {
    /// Largest element count of any tensor, matrix dimension or scratch buffer.
    /// OpenBLAS takes `int` sizes and leading dimensions, so nothing larger could reach
    /// it; on an edge device such a tensor is absurd long before that. Where `Int` has
    /// 32 bits the bound is lower still, so that a count plus pads, or a window extent,
    /// cannot overflow while it is being checked.
    #if arch(arm) || arch(i386) || arch(wasm32) || arch(arm64_32)
    public static let maxElements = 1 << 28
    #else
    public static let maxElements = Int(Int32.max)
    #endif

    /// Bound for kernel sizes, strides, dilations and pads: far beyond any real model,
    /// small enough that a window extent (dilation * kernel) fits in 31 bits.
    public static let maxAttribute: Int64 = 1 << 15
}
