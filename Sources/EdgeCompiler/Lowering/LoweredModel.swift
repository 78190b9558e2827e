import EdgeFormat

/// A tensor after lowering: where it will live, but no arena offset yet.
struct LoweredTensor {
    enum Storage {
        /// An activation in the arena (its offset comes from the memory planner).
        case arena
        /// Constant data, written to the WGHT section in the layout the kernel reads.
        case weight([Float])
    }

    var name: String
    var shape: [Int]
    var storage: Storage
    /// Shares the arena bytes of this tensor (a Reshape, Flatten, Squeeze ... output:
    /// same elements, another shape, no copy).
    var aliasOf: Int?

    var byteCount: Int { shape.reduce(1, *) * 4 }

    var isArena: Bool {
        if case .arena = storage { return true }
        return false
    }
}

/// The runtime's view of the model: tensors, ops in execution order, graph inputs and
/// outputs. The memory planner and the writer take it from here.
struct LoweredModel {
    var tensors: [LoweredTensor] = []
    var ops: [OpDescription] = []
    var inputs: [Int32] = []
    var outputs: [Int32] = []
    /// (op index, input tensor, output tensor) pairs the kernel can compute in place.
    var inPlaceCandidates: [(op: Int, input: Int32, output: Int32)] = []
}
