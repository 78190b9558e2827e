import EdgeFormat

/// An arena and a scratch block that several interpreters share, one at a time.
///
/// An interpreter's arena and scratch are only touched while it runs, so interpreters
/// that never run concurrently (one worker of the agent serving different variants) can
/// share them: memory is then the largest model's, not the sum. Growing replaces the
/// buffers; an interpreter made earlier keeps the old ones alive (it holds references),
/// so it stays correct but no longer shares. Check `shares(_:)` and rebuild it.
/// Not thread-safe: the owner serialises use (one worker slot, one lock).
public final class Workspace {
    public private(set) var arenaBuffer: AlignedBuffer
    public private(set) var scratchBuffer: AlignedBuffer

    public init() throws(EdgeError) {
        arenaBuffer = try AlignedBuffer(byteCount: 0)
        scratchBuffer = try AlignedBuffer(byteCount: 0)
    }

    /// The arena, grown to at least `bytes`.
    public func arena(atLeast bytes: Int) throws(EdgeError) -> AlignedBuffer {
        if arenaBuffer.byteCount < bytes { arenaBuffer = try AlignedBuffer(byteCount: bytes) }
        return arenaBuffer
    }

    /// The scratch block, grown to at least `bytes`.
    public func scratch(atLeast bytes: Int) throws(EdgeError) -> AlignedBuffer {
        if scratchBuffer.byteCount < bytes { scratchBuffer = try AlignedBuffer(byteCount: bytes) }
        return scratchBuffer
    }

    /// Whether `interpreter` runs in this workspace's current buffers.
    public func shares(_ interpreter: Interpreter) -> Bool {
        interpreter.arena === arenaBuffer && interpreter.scratch === scratchBuffer
    }

    /// Drops the buffers (memory returns once no interpreter holds them).
    public func release() throws(EdgeError) {
        arenaBuffer = try AlignedBuffer(byteCount: 0)
        scratchBuffer = try AlignedBuffer(byteCount: 0)
    }

    public var byteCount: Int { arenaBuffer.byteCount + scratchBuffer.byteCount }
}
