import ArgumentParser
import EdgeFleet
import EdgeFleetControl
import EdgeFormat
import EdgeTrust
import Foundation

// `edgec fleet`: the operator side of fleet rollouts over an MQTT broker (Formats/FLEET.md).
// Exit codes beyond the common ones: 9 the broker could not be reached or refused the
// login; 10 the rollout halted at the canaries (they were rolled back); 11 not every
// online device converged before --timeout; 12 devices failed after the full rollout.

struct FleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "Roll out a signed variant to a group of agents through an MQTT broker, and show the group.",
        subcommands: [FleetRolloutCommand.self, FleetStatusCommand.self])
}

struct BrokerArguments: ParsableArguments {
    @Option(help: ArgumentHelp("The MQTT broker.", valueName: "HOST:PORT")) var broker: String
    @Option(help: "The device group.") var group: String
    @Option(name: .customLong("mqtt-user"), help: "Broker user name.") var user: String = ""
    @Option(name: .customLong("mqtt-password-file"), help: ArgumentHelp("File whose first line is the broker password.", valueName: "F"))
    var passwordFile: String = ""
    @Option(name: .customLong("mqtt-cafile"), help: ArgumentHelp("TLS: the broker's certificate must verify against this CA and name HOST.", valueName: "CA.pem"))
    var caFile: String = ""
    @Option(name: .customLong("mqtt-cert"), help: ArgumentHelp("TLS client certificate (with --mqtt-key).", valueName: "C.pem")) var certFile: String = ""
    @Option(name: .customLong("mqtt-key"), help: ArgumentHelp("Its private key.", valueName: "K.pem")) var keyFile: String = ""

    func options() throws -> BrokerOptions {
        let (h, p) = try parseBroker(broker)
        guard Topics.validId(group) else { throw FleetControlError.input("--group must be 1-64 characters of [A-Za-z0-9._-]") }
        var password = ""
        if !passwordFile.isEmpty {
            guard !user.isEmpty else { throw FleetControlError.input("--mqtt-password-file needs --mqtt-user") }
            password = try FleetMain.readPassword(passwordFile)
        }
        var tls = MqttTLS()
        tls.caFile = caFile
        tls.certFile = certFile
        tls.keyFile = keyFile
        if let why = tls.problem() { throw FleetControlError.input(why) }
        return BrokerOptions(host: h, port: p, user: user, password: password, tls: tls)
    }

    func parseBroker(_ s: String) throws -> (String, Int32) {
        let parts = s.split(separator: ":")
        guard parts.count == 2, let p = Int32(parts[1]), p > 0, p < 65536 else { throw FleetControlError.input("--broker expects HOST:PORT, got '\(s)'") }
        return (String(parts[0]), p)
    }
}

func fleetFailing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try agentFailing(body)
    } catch let e as FleetControlError {
        FileHandle.standardError.write(("edgec: error: \(e)\n").data(using: .utf8)!)
        if case .broker = e { throw ExitCode(9) }
        throw ExitCode(2)
    }
}

struct FleetRolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout", abstract: "Canaries first, then the rest; halt and roll the canaries back when they fail.",
        discussion: """
            Publishes the artifact (retained chunks) and a signed desired state for a canary
            subgroup (the first --canary share of the online devices by id), waits for their
            reported state, watches their request failure rate for --observe seconds, then
            publishes the desired state for the whole group and waits until every online
            device reports the new variant. A canary that fails its self-test or install, or
            whose failure rate rises, counts as failed; --halt-on failures halt the rollout
            and the group's desired state goes back to what the other devices run.
            After convergence (or a halt) the retained chunks of every artifact the desired
            state no longer names are removed from the broker (--keep-old-chunks: leave them).
            Exit codes: 0 converged, 10 halted at the canaries, 11 timeout, 12 failures after
            the full rollout, 9 broker unreachable or login refused, 2 bad arguments.
            """)

    @Argument(help: "The signed .edgs artifact.") var artifact: String
    @OptionGroup var broker: BrokerArguments
    @Option(help: ArgumentHelp("Secret key that signs the desired state (the agents trust its .pub).", valueName: "K.key")) var key: String
    @Option(help: "Canary share of the online devices, e.g. 10% (0 for none).") var canary: String = "10%"
    @Option(name: .customLong("halt-on"), help: "Halt when this many canaries fail.") var haltOn: Int = 1
    @Option(help: "Seconds to wait for the whole rollout.") var timeout: Double = 300
    @Option(help: "Seconds canaries serve before the rest are updated.") var observe: Double = 5
    @Option(name: .customLong("max-failure-rise"), help: ArgumentHelp("A canary whose request failure rate during --observe exceeds its rate before the rollout by more than this fails.", valueName: "P%"))
    var maxFailureRise: String = "1%"
    @Option(name: .customLong("chunk-bytes"), help: "Artifact chunk size on the broker.") var chunkBytes: Int = 64 << 10
    @Flag(name: .customLong("keep-old-chunks"), help: "Leave the retained chunks of older artifacts on the broker.") var keepOldChunks = false
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let report = try fleetFailing { () throws -> RolloutReport in
            var o = RolloutOptions()
            let c = canary.hasSuffix("%") ? String(canary.dropLast()) : canary
            guard let f = Double(c), f >= 0, f <= 100 else { throw FleetControlError.input("--canary expects a percentage like 10%") }
            o.canaryFraction = f / 100
            guard haltOn >= 1 else { throw FleetControlError.input("--halt-on must be at least 1") }
            guard timeout > 0, timeout <= 86_400, observe >= 0, observe <= 3600 else { throw FleetControlError.input("--timeout must be in (0, 86400], --observe in [0, 3600]") }
            guard chunkBytes >= 1024, chunkBytes <= 8 << 20 else { throw FleetControlError.input("--chunk-bytes must be 1024..8388608") }
            o.haltOn = haltOn
            o.timeoutSeconds = timeout
            o.observeSeconds = observe
            let r = maxFailureRise.hasSuffix("%") ? String(maxFailureRise.dropLast()) : maxFailureRise
            guard let rise = Double(r), rise >= 0, rise <= 100 else { throw FleetControlError.input("--max-failure-rise expects a percentage like 1%") }
            o.maxFailureRateRise = rise / 100
            o.chunkBytes = chunkBytes
            o.clearOldChunks = !keepOldChunks
            let bytes = try FileIO.read(artifact)
            let sk = try KeyFile.readSecret(key)
            return try FleetRollout(broker: try broker.options(), group: broker.group, secretKey: sk, options: o,
                                    progress: { note($0) }).run(artifact: bytes)
        }
        if json {
            print(jsonString(report.json))
        } else {
            print("\(report.outcome.rawValue): \(report.name) v\(report.version), \(report.converged.count) converged, \(report.failed.count) failed, \(report.pending.count) pending, \(report.offline.count) offline (\(String(format: "%.1f", report.seconds)) s)")
            for (id, why) in report.failed.sorted(by: { $0.key < $1.key }) { print("  failed \(id): \(why)") }
            if !report.rolledBackTo.isEmpty { print("  canaries rolled back to \(report.rolledBackTo)") }
            if report.clearedChunks > 0 { print("  removed \(report.clearedChunks) retained chunk(s) of older artifacts") }
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

struct FleetStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The group's devices from their retained reported state: online, variant, version, failures.")
    @OptionGroup var broker: BrokerArguments
    @Flag(help: "Print as JSON: {\"devices\": [{\"id\", \"group\", \"online\", \"active\", \"version\", \"failed\", \"last_error\", ...}]}.") var json = false

    func run() throws {
        try fleetFailing {
            let o = try broker.options()
            let c = try o.connect(clientId: "edgec-status-\(broker.group)-\(getpid())")
            let view = FleetView(group: broker.group)
            try view.load(c, seconds: 5)
            if json { print(jsonString(view.statusJSON)); return }
            let devices = view.sorted
            var versions: [String: Int] = [:]
            for d in devices where d.online { versions["\(d.active.isEmpty ? "(none)" : d.active) v\(d.version)", default: 0] += 1 }
            print("group \(broker.group): \(devices.count) devices, \(devices.filter { $0.online }.count) online, \(devices.filter { $0.failed }.count) failed")
            for (v, n) in versions.sorted(by: { $0.key < $1.key }) { print("  \(n) on \(v)") }
            for d in devices {
                let flags = (d.online ? "online " : "OFFLINE") + (d.failed ? "  FAILED: \(d.lastError)" : "")
                print("  \(d.id.padding(toLength: 16, withPad: " ", startingAt: 0)) \(d.active) v\(d.version)  \(d.state)  \(flags)")
            }
        }
    }
}
