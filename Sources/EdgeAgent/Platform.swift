import CEdgeAgentSupport
import CEdgeSupport

/// A pthread mutex (Embedded Swift has no Mutex type).
final class Lock {
    private let m: OpaquePointer
    init() { m = edge_mutex_new()! }
    deinit { edge_mutex_free(m) }

    func lockPointer(_ f: (OpaquePointer) -> Void) { f(m) }

    @inline(__always)
    func locked<T>(_ body: () -> T) -> T {
        edge_mutex_lock(m)
        defer { edge_mutex_unlock(m) }
        return body()
    }
}

/// Counting semaphore: bounds how many interpreters run at once (--workers).
final class Semaphore {
    private let s: OpaquePointer
    init(_ value: Int) { s = edge_semaphore_new(UInt32(value))! }
    func wait() { edge_semaphore_wait(s) }
    func post() { edge_semaphore_post(s) }
}

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

private func threadEntry(_ ctx: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let body = Unmanaged<ThreadBody>.fromOpaque(ctx!).takeRetainedValue()
    body.run()
    return nil
}

public enum Threads {
    /// Starts a detached thread; false if the system refused.
    public static func start(_ body: @escaping () -> Void) -> Bool {
        let ctx = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        if edge_thread_start(threadEntry, ctx) != 0 {
            Unmanaged<ThreadBody>.fromOpaque(ctx).release()
            return false
        }
        return true
    }
}

public enum Log {
    public static var quiet = false
    public static func info(_ s: String) {
        if quiet { return }
        edge_write_stderr("edged: " + s + "\n")
    }
}

enum Clock {
    static func nowNanos() -> UInt64 { edge_now_ns() }
}

extension Lock {
    /// For bodies that throw (the closure form cannot carry a typed throw through).
    func lockRaw() { lockPointer { edge_mutex_lock($0) } }
    func unlockRaw() { lockPointer { edge_mutex_unlock($0) } }
}

extension Log {
    static func out(_ s: String) { edge_write_stdout(s) }
    public static func err(_ s: String) { edge_write_stderr(s) }
}
