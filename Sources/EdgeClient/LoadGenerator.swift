import CEdgeSupport
import EdgeFormat
import EdgeWire
import Foundation

/// Closed-loop load: each worker has one connection and sends the next request when
/// the previous reply arrives. A failed request is counted and the worker reconnects.
public struct LoadGenerator {
    public let address: String
    public let inputs: [(String, NpyArray)]
    public init(address: String, inputs: [(String, NpyArray)]) {
        self.address = address
        self.inputs = inputs
    }

    public struct Report {
        public var requests = 0
        public var failed = 0
        public var seconds = 0.0
        public var latenciesMs: [Double] = []
        public var perVariant: [String: Int] = [:]
        /// With `trace`: every request's start (seconds since the run began), latency seen
        /// by the client, latency inside the agent (its reply's; 0 if it failed) and serving
        /// variant ("" if it failed), in no particular order.
        public var trace: [(startSeconds: Double, ms: Double, agentMs: Double, variant: String)] = []
        public var failures: [String] = []
        /// Activations the swap thread completed during the run (0 without --swap).
        public var swaps = 0
        public var swapErrors: [String] = []

        public func percentile(_ p: Double) -> Double {
            guard !latenciesMs.isEmpty else { return 0 }
            let s = latenciesMs.sorted()
            return s[min(s.count - 1, Int((p / 100) * Double(s.count - 1) + 0.5))]
        }

        public var json: [String: Any] {
            ["requests": requests, "failed": failed, "seconds": seconds, "rps": Double(requests) / max(seconds, 1e-9),
             "p50_ms": percentile(50), "p99_ms": percentile(99), "max_ms": latenciesMs.max() ?? 0,
             "per_variant": perVariant, "first_failures": Array(failures.prefix(5)),
             "swaps": swaps, "swap_errors": Array(swapErrors.prefix(5))]
        }

        public var text: String {
            var s = String(format: "%d requests in %.1f s (%.0f/s), %d failed; p50 %.3f ms, p99 %.3f ms",
                           requests, seconds, Double(requests) / max(seconds, 1e-9), failed, percentile(50), percentile(99))
            for (v, n) in perVariant.sorted(by: { $0.key < $1.key }) { s += "\n  \(v): \(n)" }
            if swaps > 0 || !swapErrors.isEmpty { s += "\n  \(swaps) activations during the run" }
            for f in failures.prefix(5) { s += "\n  failure: \(f)" }
            for f in swapErrors.prefix(3) { s += "\n  swap error: \(f)" }
            return s
        }
    }

    /// `check` sees every reply (e.g. to compare outputs with the variant that says it served).
    /// Alternating activations while the load runs.
    public struct SwapPlan {
        public var names: [String]
        public var everyMs: Int
        public var key: [UInt8]
        public init(names: [String], everyMs: Int, key: [UInt8]) {
            self.names = names
            self.everyMs = everyMs
            self.key = key
        }
    }

    /// `stop` ends the run early (checked before every request).
    public func run(concurrency: Int, seconds: Double, stop: (() -> Bool)? = nil, swap: SwapPlan? = nil,
                    trace: Bool = false, check: ((InferReply) -> String?)? = nil) throws -> Report {
        let lock = NSLock()
        var total = Report()
        let deadline = edge_now_ns() + UInt64(seconds * 1e9)
        let client = AgentClient(address: address)
        let t0 = edge_now_ns()
        let group = DispatchGroup()
        if let plan = swap, !plan.names.isEmpty {
            group.enter()
            Thread.detachNewThread {
                var n = 0
                var errors: [String] = []
                while edge_now_ns() < deadline && !(stop?() ?? false) {
                    usleep(UInt32(max(0, plan.everyMs)) * 1000)
                    do {
                        try client.command(.activate(name: plan.names[n % plan.names.count]), key: plan.key)
                        n += 1
                    } catch { errors.append("\(error)") ; if errors.count > 20 { break } }
                }
                lock.lock(); total.swaps = n; total.swapErrors = errors; lock.unlock()
                group.leave()
            }
        }
        for _ in 0..<concurrency {
            group.enter()
            Thread.detachNewThread {
                var mine = Report()
                var conn: AgentConnection? = nil
                while edge_now_ns() < deadline && !(stop?() ?? false) {
                    let s = edge_now_ns()
                    do {
                        if conn == nil { conn = try AgentConnection(address: address) }
                        let r = try client.infer(inputs, on: conn)
                        mine.latenciesMs.append(Double(edge_now_ns() - s) / 1e6)
                        mine.requests += 1
                        mine.perVariant["\(r.variant) v\(r.variantVersion)", default: 0] += 1
                        if trace { mine.trace.append((Double(s - t0) / 1e9, Double(edge_now_ns() - s) / 1e6, Double(r.latencyNanos) / 1e6, r.variant)) }
                        if let problem = check?(r) { mine.failed += 1; mine.failures.append(problem) }
                    } catch {
                        mine.requests += 1
                        mine.failed += 1
                        mine.failures.append("\(error)")
                        if trace { mine.trace.append((Double(s - t0) / 1e9, Double(edge_now_ns() - s) / 1e6, 0, "")) }
                        conn = nil
                    }
                }
                lock.lock()
                total.requests += mine.requests
                total.failed += mine.failed
                total.latenciesMs += mine.latenciesMs
                total.trace += mine.trace
                total.failures += mine.failures
                for (k, v) in mine.perVariant { total.perVariant[k, default: 0] += v }
                lock.unlock()
                group.leave()
            }
        }
        group.wait()
        total.seconds = Double(edge_now_ns() - t0) / 1e9
        return total
    }
}
