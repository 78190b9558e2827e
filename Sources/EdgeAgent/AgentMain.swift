import CEdgeAgentSupport
import EdgeTrust
import EdgeWire

/// `edged` command line, shared by the host executable and the device build (which has
/// no CommandLine: its C main hands argv over).
public enum AgentMain {
    public static let usage = """
        usage: edged --listen HOST:PORT --store DIR --trust KEY.pub [--trust KEY2.pub]
                     [--workers N] [--resident N] [--max-connections N] [--idle-timeout-ms MS]
                     [--read-timeout-ms MS] [--max-frame-bytes N] [--quota-bytes N]
                     [--port-file PATH] [--private-arenas] [--quiet]
          Serves the signed model variants in DIR over the Edge wire protocol
          (Formats/WIRE.md). PORT 0 picks a free port (see --port-file).
          --workers N: requests run at once (default 2), each in its worker's arena,
          shared by all variants (sized for the largest). --resident N: variants kept
          loaded (default 2: active and previous; more makes policy switches warm).
          --private-arenas: one arena per variant per worker instead (a benchmark
          baseline for the shared arenas).
          Exit codes: 0 ok, 2 bad arguments, 3 I/O (cannot listen, store unusable).
        """

    /// Returns the process exit code (the server itself runs until killed).
    /// `started` runs once the agent is up, before the server loop (EdgeFleet hooks in
    /// here); returning false exits with code 3. `extraUsage` is appended to --help.
    public static func run(_ args: [String], extraUsage: String = "", started: ((Agent) -> Bool)? = nil) -> Int32 {
        var opts = ServerOptions()
        var store = ""
        var trustFiles: [String] = []
        var workers = 2
        var maxResident = 2
        var sharedArenas = true
        var quota: UInt64 = 256 << 20
        var i = 1
        func value() -> String? {
            i += 1
            return i < args.count ? args[i] : nil
        }
        while i < args.count {
            let a = args[i]
            switch a {
            case "--help", "-h":
                edge_print_out(usage + "\n" + extraUsage)
                return 0
            case "--quiet": Log.quiet = true
            case "--private-arenas": sharedArenas = false
            case "--listen":
                guard let v = value(), let (h, p) = splitHostPort(v) else { return bad("--listen expects HOST:PORT") }
                opts.host = h; opts.port = p
            case "--store":
                guard let v = value() else { return bad("--store expects a directory") }
                store = v
            case "--trust":
                guard let v = value() else { return bad("--trust expects a .pub file") }
                trustFiles.append(v)
            case "--port-file":
                guard let v = value() else { return bad("--port-file expects a path") }
                opts.portFile = v
            case "--workers", "--resident", "--max-connections", "--idle-timeout-ms", "--read-timeout-ms", "--max-frame-bytes", "--quota-bytes":
                guard let v = value(), let n = UInt64(v), n > 0, n < (1 << 40) else { return bad("\(a) expects a positive integer") }
                switch a {
                case "--workers", "--resident":
                    guard n <= 256 else { return bad("\(a) is at most 256") }
                    if a == "--workers" { workers = Int(n) } else { maxResident = Int(n) }
                case "--max-connections": opts.maxConnections = Int(n)
                case "--idle-timeout-ms": opts.limits.idleTimeoutMs = Int32(truncatingIfNeeded: Swift.min(n, 3_600_000))
                case "--read-timeout-ms": opts.limits.readTimeoutMs = Int32(truncatingIfNeeded: Swift.min(n, 3_600_000))
                case "--max-frame-bytes": opts.limits.maxBody = Int(Swift.min(n, 1 << 30))
                default: quota = n
                }
            default:
                return bad("unknown option '\(a)'")
            }
            i += 1
        }
        guard !store.isEmpty else { return bad("--store DIR is required") }
        guard !trustFiles.isEmpty else { return bad("at least one --trust KEY.pub is required: the agent runs only signed variants") }
        var keys: [[UInt8]] = []
        for f in trustFiles {
            do throws(WireError) { keys.append(try KeyFile.readPublic(f)) } catch { return bad(error.message) }
        }
        do throws(WireError) {
            let agent = try Agent(storeDir: store, trusted: keys, workers: workers, quotaBytes: quota, maxResident: maxResident,
                                  sharedArenas: sharedArenas)
            if let started, !started(agent) { return 3 }
            try Server(agent: agent, options: opts).run()
        } catch {
            edge_print_err("edged: error: \(error.message)\n")
            return 3
        }
        return 0
    }

    public static func bad(_ msg: String) -> Int32 {
        edge_print_err("edged: error: \(msg)\n")
        return 2
    }

    public static func splitHostPort(_ s: String) -> (String, Int32)? {
        let parts = s.split(separator: ":")
        guard parts.count == 2, let p = Int32(parts[1]), p >= 0, p < 65536 else { return nil }
        return (String(parts[0]), p)
    }
}

@inline(__always) func edge_print_out(_ s: String) { Log.out(s) }
@inline(__always) func edge_print_err(_ s: String) { Log.err(s) }
