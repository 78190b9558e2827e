// edge-fuzz: runs a slice of one fuzz/mutation campaign in its own process, so a trap in
// the code under test kills this process and not the `swift test` run that started it.
// Tests drive it through EdgeTestSupport's FuzzHarness, which restarts after a crash and
// saves the input that crashed it.
//
//   edge-fuzz CAMPAIGN [--sources FILE] [--seed S] [--from I] [--count N] [--progress FILE]
//       runs iterations I..<I+N; before each one writes its index to the progress file (so
//       the parent knows which input crashed); prints the outcome counts as one JSON line.
//   edge-fuzz CAMPAIGN [--sources FILE] [--seed S] --from I --write-input FILE
//       writes iteration I's input without running it.
//   edge-fuzz CAMPAIGN [--sources FILE] [--index I] --replay FILE
//       runs one saved input (the reproduction of a crash).
// Campaigns: edgm, compile, onnx-read, onnx-random, wire (see their types).
// EDGE_FUZZ_TRAP_AT=I (a debug hook for the harness's own test) traps before iteration I.
// Exit codes: 0 done, 2 bad arguments or sources.
import EdgeTestSupport
import Foundation

let campaigns: [String: Campaign.Type] = [
    "edgm": EdgmLoaderCampaign.self,
    "compile": CompilerMutationCampaign.self,
    "onnx-read": OnnxReaderMutationCampaign.self,
    "onnx-random": OnnxRandomBytesCampaign.self,
    "wire": WireFrameCampaign.self,
]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("edge-fuzz: " + message + "\n").utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let kind = campaigns[name] else {
    fail("the first argument is the campaign: \(campaigns.keys.sorted().joined(separator: ", "))")
}
arguments.removeFirst()
var options: [String: String] = [:]
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    guard ["--sources", "--seed", "--from", "--count", "--progress", "--write-input", "--replay", "--index"].contains(flag),
          !arguments.isEmpty else { fail("unknown option or missing value: \(flag)") }
    options[flag] = arguments.removeFirst()
}
func integer(_ flag: String, _ fallback: Int) -> Int {
    guard let text = options[flag] else { return fallback }
    guard let v = Int(text), v >= 0 else { fail("\(flag) must be a non-negative integer, not '\(text)'") }
    return v
}
let seed = UInt64(options["--seed"] ?? "0") ?? { fail("--seed must be an unsigned integer") }()
let from = integer("--from", 0)
let count = integer("--count", 1)

let campaign: Campaign
do {
    campaign = try kind.init(sources: try options["--sources"].map(FuzzSource.read) ?? [])
} catch {
    fail("\(name): \(error)")
}

if let replay = options["--replay"] {
    guard let data = FileManager.default.contents(atPath: replay) else { fail("cannot read \(replay)") }
    print(campaign.execute([UInt8](data), index: integer("--index", 0)).joined(separator: " "))
    exit(0)
}
if let file = options["--write-input"] {
    var rng = iterationRNG(seed: seed, index: from)
    guard FileManager.default.createFile(atPath: file, contents: Data(campaign.input(from, &rng))) else { fail("cannot write \(file)") }
    exit(0)
}

let trapAt = ProcessInfo.processInfo.environment["EDGE_FUZZ_TRAP_AT"].flatMap { Int($0) }
let progress = options["--progress"].map { path -> FileHandle in
    guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
        fail("cannot write \(path)")
    }
    return h
}
var counts: [String: Int] = [:]
for index in from..<(from + count) {
    if let progress {
        // Fixed width: each write replaces the previous index completely.
        try? progress.seek(toOffset: 0)
        progress.write(Data(String(repeating: " ", count: max(0, 19 - String(index).count)).appending("\(index)\n").utf8))
    }
    if index == trapAt { fatalError("EDGE_FUZZ_TRAP_AT=\(index): deliberate trap") }
    var rng = iterationRNG(seed: seed, index: index)
    for outcome in campaign.execute(campaign.input(index, &rng), index: index) { counts[outcome, default: 0] += 1 }
}
counts["iterations"] = count
let json = try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
