import Foundation
import XCTest

/// What a finished child process left: its status, whether it exited or died of a
/// signal, and everything it wrote.
public struct CommandOutcome {
    public var status: Int32
    /// False when the process died of a signal (a Swift trap is SIGILL or SIGTRAP).
    public var exited: Bool
    public var stdout: String
    public var stderr: String

    /// A crash as a shell would report it: a signal, or the 128+signal status qemu and
    /// shells pass on (SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV).
    public var crashed: Bool { !exited || [132, 133, 134, 135, 136, 139].contains(status) }
}

/// Runs the project's programs (edgec, edged, the fuzz runner, edge-run under qemu) the
/// way a user does, one copy of the process plumbing for every test target.
public enum CommandRunner {
    /// `swift build --build-tests` puts the products next to the test bundle (the xctest
    /// executable, or the bundle a runner loaded); .build/debug as the last resort.
    public static func builtProduct(_ name: String) -> URL {
        var places = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for b in Bundle.allBundles where b.bundleURL.pathExtension == "xctest" {
            places.append(b.bundleURL.deletingLastPathComponent())
        }
        for dir in places {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return TestPaths.repoRoot.appendingPathComponent(".build/debug").appendingPathComponent(name)
    }

    /// The built product, or XCTSkip when it is not there.
    public static func requireProduct(_ name: String) throws -> URL {
        let url = builtProduct(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw XCTSkip("\(name) not built next to the tests (run `swift build --build-tests`)")
        }
        return url
    }

    /// `edgec args...` (skips the test when edgec is not built).
    public static func edgec(_ args: [String], timeout: TimeInterval = 600) throws -> CommandOutcome {
        try run(try requireProduct("edgec"), args, timeout: timeout)
    }

    /// Runs `executable args...` with stdin closed and a timeout (the process is killed and
    /// TestFailure thrown when it passes). Output goes through files, so a chatty child
    /// cannot block on a full pipe. `environment` entries are added to this process's.
    public static func run(_ executable: URL, _ args: [String], environment: [String: String] = [:],
                           timeout: TimeInterval = 600) throws -> CommandOutcome {
        let dir = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        let outURL = dir.appendingPathComponent("edge-stdout-\(id).txt")
        let errURL = dir.appendingPathComponent("edge-stderr-\(id).txt")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            if done.wait(timeout: .now() + 5) == .timedOut {
                kill(p.processIdentifier, SIGKILL)
                _ = done.wait(timeout: .now() + 5)
            }
            throw TestFailure(message: "\(executable.lastPathComponent) \(args.joined(separator: " ")) did not finish in \(Int(timeout)) s")
        }
        return CommandOutcome(status: p.terminationStatus,
                              exited: p.terminationReason == .exit,
                              stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
                              stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
    }
}
