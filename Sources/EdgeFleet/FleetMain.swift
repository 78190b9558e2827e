import CEdgeAgentSupport
import EdgeAgent
import EdgeFormat
import EdgeTrust
import EdgeWire

/// `edged` with the fleet options: takes its own options out of the command line, hands
/// the rest to AgentMain and starts the fleet client once the agent is up.
public enum FleetMain {
    public static let usage = """
        fleet (optional, Formats/FLEET.md):
          --mqtt HOST:PORT --device-id ID --group G
                     [--mqtt-user U --mqtt-password-file F] [--report-interval-ms MS]
                     [--mqtt-cafile CA.pem [--mqtt-cert C.pem --mqtt-key K.pem]]
          Follows the group's signed desired state on the MQTT broker, installs it like a
          push (signature, self-test, A/B) and reports its state, retained, on the broker.
          --mqtt-cafile: TLS; the broker's certificate must verify against CA.pem and
          name HOST; --mqtt-cert/--mqtt-key: a client certificate.

        """

    public static func run(_ args: [String]) -> Int32 {
        var rest: [String] = []
        var fleet = FleetOptions()
        var mqtt = ""
        var passwordFile = ""
        var store = ""
        var trust: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            let own = ["--mqtt", "--device-id", "--group", "--mqtt-user", "--mqtt-password-file", "--report-interval-ms",
                       "--mqtt-cafile", "--mqtt-cert", "--mqtt-key"]
            if own.contains(a) {
                guard i + 1 < args.count else { return AgentMain.bad("\(a) expects a value") }
                let v = args[i + 1]
                switch a {
                case "--mqtt": mqtt = v
                case "--device-id": fleet.deviceId = v
                case "--group": fleet.group = v
                case "--mqtt-user": fleet.user = v
                case "--mqtt-password-file": passwordFile = v
                case "--mqtt-cafile": fleet.tls.caFile = v
                case "--mqtt-cert": fleet.tls.certFile = v
                case "--mqtt-key": fleet.tls.keyFile = v
                default:
                    guard let n = UInt64(v), n >= 50, n <= 3_600_000 else { return AgentMain.bad("--report-interval-ms expects 50..3600000") }
                    fleet.reportIntervalMs = n
                }
                i += 2
                continue
            }
            // Seen, and passed on: the fleet client needs the store and the trusted keys too.
            if (a == "--store" || a == "--trust") && i + 1 < args.count {
                if a == "--store" { store = args[i + 1] } else { trust.append(args[i + 1]) }
            }
            rest.append(a)
            i += 1
        }
        if mqtt.isEmpty {
            guard fleet.deviceId.isEmpty && fleet.group.isEmpty && fleet.user.isEmpty && passwordFile.isEmpty && !fleet.tls.enabled
                    && fleet.tls.certFile.isEmpty else {
                return AgentMain.bad("--device-id, --group, --mqtt-user and --mqtt-cafile need --mqtt HOST:PORT")
            }
            return AgentMain.run(rest, extraUsage: usage)
        }
        guard let (h, p) = AgentMain.splitHostPort(mqtt), p > 0 else { return AgentMain.bad("--mqtt expects HOST:PORT") }
        fleet.host = h
        fleet.port = p
        if let why = fleet.tls.problem() { return AgentMain.bad(why) }
        guard Topics.validId(fleet.deviceId) else { return AgentMain.bad("--device-id must be 1-64 characters of [A-Za-z0-9._-]") }
        guard Topics.validId(fleet.group) else { return AgentMain.bad("--group must be 1-64 characters of [A-Za-z0-9._-]") }
        if !passwordFile.isEmpty {
            guard !fleet.user.isEmpty else { return AgentMain.bad("--mqtt-password-file needs --mqtt-user") }
            do throws(EdgeError) { fleet.password = try readPassword(passwordFile) } catch { return AgentMain.bad(error.message) }
        }
        var keys: [[UInt8]] = []
        for f in trust {
            do throws(WireError) { keys.append(try KeyFile.readPublic(f)) } catch { return AgentMain.bad(error.message) }
        }
        return AgentMain.run(rest, extraUsage: usage) { agent in
            do throws(FleetError) {
                let client = try FleetAgent(agent: agent, options: fleet, trusted: keys, storeDir: store)
                try client.start()
                retained = client
                return true
            } catch {
                Log.err("edged: error: fleet: \(error.message)\n")
                return false
            }
        }
    }

    /// The fleet client lives as long as the process.
    nonisolated(unsafe) static var retained: FleetAgent? = nil

    /// The first line of the file.
    public static func readPassword(_ path: String) throws(EdgeError) -> String {
        let bytes = try FileIO.read(path)
        guard bytes.count <= 4096 else { throw EdgeError(.invalidArgument, "'\(path)' is too large to be a password file") }
        var line: [UInt8] = []
        for b in bytes {
            if b == 10 || b == 13 { break }
            line.append(b)
        }
        guard !line.isEmpty else { throw EdgeError(.invalidArgument, "'\(path)': the first line (the password) is empty") }
        return String(decoding: line, as: UTF8.self)
    }
}
