import CEdgeSupport
import EdgeFormat

/// Executes a loaded `.edgm` model, or a slice of its layers.
///
/// Everything is decided at load: the arena (one block, laid out by the compiler's
/// memory plan), the scratch block (the largest any layer needs), and each layer's
/// resolved tensor addresses. `run` then only calls kernels: it allocates nothing.
public final class Interpreter {
    public let file: EdgmFile
    public let layers: [Layer]
    /// Tensor addresses and shapes, indexed by tensor id.
    public let tensors: [TensorRef]
    public let arena: AlignedBuffer
    public let scratch: AlignedBuffer
    /// Keeps the image (mapped file or aligned copy) alive while weights point into it.
    let imageOwner: AnyObject
    /// The worker threads the GEMMs split over (edge_threads.h), made at load; nil for one
    /// thread.
    let pool: OpaquePointer?
    /// Threads `run` uses (the calling thread included).
    public let threads: Int

    public var model: EdgmModel { file.model }

    /// Maps the file and uses its weights in place.
    public convenience init(path: String, verifyChecksums: Bool = true, threads: Int = 1) throws(EdgeError) {
        let mapped = try MappedFile(path: path)
        try self.init(image: mapped.bytes, owner: mapped, verifyChecksums: verifyChecksums, threads: threads)
    }

    /// Loads from bytes already in memory (copied once into an aligned block so weight
    /// blobs keep their 64-byte alignment).
    public convenience init(bytes: [UInt8], verifyChecksums: Bool = true, threads: Int = 1) throws(EdgeError) {
        let copy = try AlignedBuffer(byteCount: bytes.count)
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { copy.raw.copyMemory(from: base, byteCount: src.count) }
        }
        try self.init(image: copy.bytes, owner: copy, verifyChecksums: verifyChecksums, threads: threads)
    }

    /// Largest thread count accepted.
    public static let maxThreads = 64

    /// `workspace`: run in its arena and scratch (grown to fit) instead of private ones, so
    /// interpreters that never run at the same time share one (the agent's workers).
    public init(image: UnsafeRawBufferPointer, owner: AnyObject, verifyChecksums: Bool = true,
                threads: Int = 1, workspace: Workspace? = nil) throws(EdgeError) {
        guard threads >= 1 && threads <= Interpreter.maxThreads else {
            throw EdgeError(.invalidArgument, "threads must be from 1 to \(Interpreter.maxThreads), got \(threads)")
        }
        let file = try EdgmFile(image: image, verifyChecksums: verifyChecksums)
        try Layer.checkSupported(file.model.opCodes)
        let arenaBytes = file.model.graph.arenaBytes
        let arena: AlignedBuffer
        if let w = workspace { arena = try w.arena(atLeast: arenaBytes) } else { arena = try AlignedBuffer(byteCount: arenaBytes) }
        var refs: [TensorRef] = []
        refs.reserveCapacity(file.model.tensors.count)
        let weightBase = file.weights.baseAddress
        // Fields read in place, by index: `for t in tensors` copied (retained) each entry.
        for i in 0..<file.model.tensors.count {
            let storage = file.model.tensors[i].storage
            let base: UnsafeMutableRawPointer
            switch storage {
            case .arena:
                base = arena.raw + file.model.tensors[i].offset
            case .weight:
                // Weights are never written: EdgmFile.validate rejects any op that
                // would output into one, so mutating(...) here is only a type change.
                guard let w = weightBase else {
                    throw EdgeError(.format, "edgm tensor '\(file.model.tensors[i].name)' is a weight but the WGHT section is empty")
                }
                base = UnsafeMutableRawPointer(mutating: w) + file.model.tensors[i].offset
            }
            refs.append(TensorRef(data: base.assumingMemoryBound(to: Float.self), shape: file.model.tensors[i].shape,
                                  isConstant: storage == .weight))
        }

        var layers: [Layer] = []
        layers.reserveCapacity(file.model.ops.count)
        var scratchFloats = 0
        for op in file.model.ops {
            var ins: [TensorRef?] = []
            for id in op.inputs { ins.append(id < 0 ? nil : refs[Int(id)]) }
            var outs: [TensorRef] = []
            for id in op.outputs { outs.append(refs[Int(id)]) }
            let layer = try Layer(op, inputs: ins, outputs: outs)
            scratchFloats = Swift.max(scratchFloats, layer.scratchFloats)
            layers.append(layer)
        }

        self.file = file
        self.arena = arena
        if let w = workspace {
            self.scratch = try w.scratch(atLeast: scratchFloats * 4)
        } else {
            self.scratch = try AlignedBuffer(byteCount: scratchFloats * 4)
        }
        self.tensors = refs
        self.layers = layers
        self.imageOwner = owner
        self.threads = threads
        if threads > 1 {
            guard let p = edge_pool_create(Int32(threads), edge_gemm_max_scratch_floats()) else {
                throw EdgeError(.io, "cannot start \(threads) threads")
            }
            pool = p
        } else {
            pool = nil
        }
    }

    deinit { edge_pool_destroy(pool) }

    /// Runs layers `range` (all by default). Inputs must have been written first.
    public func run(_ range: Range<Int>? = nil) {
        let r = range ?? 0..<layers.count
        let s = scratch.floats
        edge_pool_set_current(pool)
        for i in r { layers[i].run(scratch: s) }
        edge_pool_set_current(nil)
    }

    /// Runs `range` and adds each layer's nanoseconds into `nanos[i]`: wall time, or the
    /// process's CPU time with `cpuClock` (the same on an idle machine with one thread).
    public func runTimed(_ range: Range<Int>, nanos: UnsafeMutablePointer<UInt64>, cpuClock: Bool = false) {
        let s = scratch.floats
        edge_pool_set_current(pool)
        for i in range {
            let t0 = cpuClock ? edge_cpu_ns() : edge_now_ns()
            layers[i].run(scratch: s)
            nanos[i] &+= (cpuClock ? edge_cpu_ns() : edge_now_ns()) &- t0
        }
        edge_pool_set_current(nil)
    }

    public func tensorId(named name: String) -> Int? { model.tensorIndex(named: name) }

    /// Copies `values` into tensor `id` (a graph input, or a slice's entering tensor).
    public func write(tensor id: Int, _ values: UnsafeBufferPointer<Float>) throws(EdgeError) {
        let t = model.tensors[id]
        guard t.storage == .arena else {
            throw EdgeError(.invalidArgument, "tensor '\(t.name)' is a weight and cannot be set")
        }
        guard values.count == t.elementCount else {
            throw EdgeError(.shape, "tensor '\(t.name)' has \(t.elementCount) elements \(ShapeText.of(t.shape)), got \(values.count)")
        }
        if let src = values.baseAddress {
            tensors[id].data.update(from: src, count: values.count)
        }
    }

    public func read(tensor id: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: tensors[id].data, count: model.tensors[id].elementCount)
    }
}
