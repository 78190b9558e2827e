import EdgeRuntime

/// The active variant's last 64 request latencies, each split in two parts, so the
/// policy can predict what another variant's requests would take now:
///   - `waitNs`: kernel receive of the frame -> the agent starts serving it (the
///     connection's thread waiting for a CPU, decoding). It does not depend on the
///     variant: it adds as it is.
///   - `servingNs`: waiting for a worker, then the run. Both are made of runs of the
///     active variant (the worker is busy with other requests' runs), so they scale with
///     the variant's run time.
/// A CPU hog shows in both (the thread waits for the CPU; runs are preempted); overload
/// (clients > workers) in `servingNs`.
struct LatencyWindow {
    static let capacity = 64
    private var waits: [UInt64] = []
    private var servings: [UInt64] = []
    private var next = 0

    var count: Int { waits.count }

    mutating func add(waitNs: UInt64, servingNs: UInt64) {
        if waits.count < LatencyWindow.capacity {
            waits.append(waitNs)
            servings.append(servingNs)
        } else {
            waits[next] = waitNs
            servings[next] = servingNs
        }
        next = (next + 1) % LatencyWindow.capacity
    }

    mutating func clear() {
        waits.removeAll()
        servings.removeAll()
        next = 0
    }

    /// p95 in ms of the window's requests with their serving part scaled by `scale`
    /// (1: as measured; a variant's offline latency / the active one's: predicted for it).
    func p95Ms(scale: Double = 1) -> Double {
        if waits.isEmpty { return 0 }
        var s = [UInt64](repeating: 0, count: waits.count)
        for i in 0..<waits.count { s[i] = waits[i] &+ UInt64(Double(servings[i]) * Swift.max(scale, 0)) }
        Latency.sortAscending(&s)
        return Double(s[((s.count - 1) * 95) / 100]) / 1e6
    }
}
