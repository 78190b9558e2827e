import EdgeFormat
import EdgeRuntime
import EdgeWire

/// The agent's `--workers` slots, each with one Workspace (arena + scratch) that every
/// resident variant's interpreter for that slot runs in. A request holds a slot from
/// start to end, so no two interpreters use a workspace at once, and the arenas cost
/// workers x the largest resident variant instead of workers x variants (one more
/// workspace, `control`, serves self-tests and benches under its own lock and is
/// released after each use).
///
/// Workspaces only grow: after the largest variant is evicted they keep its size.
/// `shared: false` (edged --private-arenas, a benchmark baseline) gives every interpreter
/// its own arena instead: workers x resident variants of them.
final class WorkerSlots {
    let shared: Bool
    private let semaphore: Semaphore
    private let lock = Lock()
    private var free: [Int]
    private let workspaces: [Workspace]
    let control: Workspace
    let controlLock = Lock()
    /// Bytes of each workspace (workers, then control), as their holders last saw them.
    private var sizes: [Int]

    init(_ count: Int, shared: Bool = true) throws(WireError) {
        self.shared = shared
        semaphore = Semaphore(count)
        var ws: [Workspace] = []
        do {
            for _ in 0..<count { ws.append(try Workspace()) }
            control = try Workspace()
        } catch { throw WireError(.internalError, "cannot allocate worker memory: \(error.message)") }
        workspaces = ws
        sizes = [Int](repeating: 0, count: count)
        var f: [Int] = []
        for k in 0..<count { f.append(count - 1 - k) }
        free = f
    }

    var count: Int { workspaces.count }

    /// Waits for a free slot.
    func acquire() -> Int {
        semaphore.wait()
        return lock.locked { free.removeLast() }
    }

    func release(_ slot: Int) {
        lock.locked { free.append(slot) }
        semaphore.post()
    }

    /// Only the holder of `slot` may use it. nil: private arenas.
    func workspace(_ slot: Int) -> Workspace? { shared ? workspaces[slot] : nil }

    var controlWorkspace: Workspace? { shared ? control : nil }

    /// Frees the control workspace's buffers (the caller holds controlLock and keeps no
    /// interpreter made in it).
    func releaseControl() { try? control.release() }

    /// The holder of `slot` reports its size.
    func noteSize(_ slot: Int, _ bytes: Int) { lock.locked { sizes[slot] = bytes } }

    /// Bytes of the workers' workspaces.
    var byteCount: Int {
        lock.locked {
            var n = 0
            for s in sizes { n += s }
            return n
        }
    }
}
