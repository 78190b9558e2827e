// swift-tools-version:6.0
// Edge: ONNX -> .edgm compiler and an allocation-free interpreter for ARM Linux devices.
//
// The target layout draws the line the runtime must not cross:
//   Embedded-Swift-safe (built for the device too, see Firmware/):
//     CEdgeSupport  - C shims: zlib, POSIX (mmap, open, clock, threads) and the packed SGEMM kernels
//     EdgeFormat    - the .edgm container and .npy files, errors and exit codes, shape text
//     EdgeRuntime   - interpreter, memory arena, layers and fast kernels, shared execution
//                     rules of `edgec run` and `edge-run` (slices, inputs)
//     EdgeRunDevice - the device program's main (Firmware/DeviceMain), type-checked here
//     EdgeRoma      - ROMA: detection decoding and the label-free detector selector
//     EdgeTransfer  - the tensor that crosses the link between two slices (split runs)
//   Host only (Foundation and packages allowed):
//     EdgeReference - plain reference kernels the fast ones are tested against
//     CONNX         - protobuf-c code generated from Formats/onnx.proto
//     EdgeCompiler  - ONNX import, graph IR, passes, memory planner, .edgm writer (it never
//                     runs a model, so it does not depend on EdgeRuntime)
//     EdgeReports   - what loads and runs models for people: inspect/bench summaries, portfolios
//     EdgeRomaEval  - ROMA scenarios, streaming AP, the policy simulation and realtime run
//     CEdgeCpuLoad  - the realtime run's competing CPU load process
//     EdgePlanner   - Scission-style partitioning: block profiles, the partition search, charts
//     EdgeSplit     - head/tail split with a Transfer Layer, transfer encodings (edgec split)
//     edgec         - the command-line tool
import PackageDescription

let package = Package(
    name: "Edge",
    products: [
        .executable(name: "edgec", targets: ["edgec"]),
        .executable(name: "edged", targets: ["edged"]),
        .library(name: "EdgeRuntime", targets: ["EdgeRuntime"]),
        .library(name: "EdgeCompiler", targets: ["EdgeCompiler"]),
        .library(name: "EdgeReports", targets: ["EdgeReports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CEdgeSupport",
            // The GEMM kernels (edge_gemm.c) are optimised in debug builds too: at -O0 the
            // tests that run them would take minutes. The ISA-specific code is selected at
            // run time (__attribute__((target))), so no -march here.
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("openblas"), .linkedLibrary("z"), .linkedLibrary("m")]
        ),
        .target(name: "EdgeFormat", dependencies: ["CEdgeSupport"]),
        .target(name: "EdgeRuntime", dependencies: ["EdgeFormat", "CEdgeSupport"]),
        // The device program's main (edge-run). Built here so `swift build` type-checks it;
        // Firmware/Makefile compiles it with EdgeFormat and EdgeRuntime as one Embedded module.
        .target(name: "EdgeRunDevice", dependencies: ["EdgeRuntime", "EdgeFormat", "CEdgeSupport"], path: "Firmware/DeviceMain"),
        // Plain, obviously-correct kernels over arrays: the oracle the fast kernels are
        // tested against (ncnn's pattern). Not linked into the runtime or the device build.
        .target(name: "EdgeReference", dependencies: ["EdgeFormat", "CEdgeSupport"]),
        .target(
            name: "CONNX",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .target(name: "EdgeCompiler", dependencies: ["EdgeFormat", "CONNX"]),
        .target(name: "EdgeReports", dependencies: ["EdgeCompiler", "EdgeRuntime", "EdgeFormat", "CEdgeSupport"]),
        // `edgec prune`: structured pruning at initialization (Reconvene) and filter L1
        // pruning; writes ONNX back through protobuf-c. Host only.
        .target(name: "EdgePruneInit", dependencies: ["EdgeCompiler", "EdgeReports", "EdgeRuntime", "EdgeFormat", "CONNX"]),
        .target(name: "EdgeRoma", dependencies: ["CEdgeSupport"]),
        .target(name: "EdgePlanner", dependencies: ["EdgeRuntime", "EdgeFormat"]),
        // The transferred tensor of a split run (Formats/TRANSFER.md): one codec for
        // `edgec split`/`run --split` and the agents (Embedded-safe: built into the device edged).
        .target(name: "EdgeTransfer", dependencies: ["EdgeFormat", "EdgeWire"]),
        .target(name: "EdgeSplit", dependencies: ["EdgeTransfer", "EdgeWire", "EdgeFormat", "EdgeRuntime", "CEdgeSupport"]),
        // Competing CPU load for `roma-eval --mode realtime` (a pinned duty-cycle process). Host only.
        .target(name: "CEdgeCpuLoad"),
        .target(name: "EdgeRomaEval", dependencies: ["EdgeRoma", "EdgeCompiler", "EdgeRuntime", "EdgeFormat", "EdgeWire", "EdgeClient", "CEdgeCpuLoad"]),
        .executableTarget(
            name: "edgec",
            dependencies: [
                "EdgeCompiler", "EdgeReports", "EdgeRuntime", "EdgeFormat", "EdgePruneInit", "EdgeRomaEval", "EdgePlanner",
                "EdgeClient", "EdgeTrust", "EdgeWire", "EdgeSplit", "EdgeTransfer", "EdgeChain", "EdgeFleet", "EdgeFleetControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Device agent (Formats/WIRE.md, Formats/ARTIFACT.md): see Sources/EdgeAgent/README.md.
        .target(name: "CEdgeWire", linkerSettings: [.linkedLibrary("protobuf-c")]),
        .target(name: "EdgeWire", dependencies: ["CEdgeWire", "EdgeRoma"]),
        .testTarget(name: "EdgeWireTests", dependencies: ["EdgeTestSupport", "EdgeWire", "EdgeRoma"]),
        .target(name: "CEdgeSodium", linkerSettings: [.linkedLibrary("sodium")]),
        .target(name: "EdgeTrust", dependencies: ["CEdgeSodium", "EdgeWire", "EdgeFormat"]),
        .testTarget(name: "EdgeTrustTests", dependencies: ["EdgeTestSupport", "EdgeTrust", "EdgeWire"]),
        .target(name: "CEdgeAgentSupport"),
        .target(name: "EdgeAgent", dependencies: ["CEdgeAgentSupport", "CEdgeSupport", "EdgeWire", "EdgeTrust", "EdgeTransfer", "EdgeRuntime", "EdgeFormat", "EdgeRoma"]),
        .executableTarget(name: "edged", dependencies: ["EdgeAgent", "EdgeFleet", "CEdgeAgentSupport"]),
        // Fleet rollout over an MQTT broker (Formats/FLEET.md): CEdgeMqtt wraps libmosquitto,
        // EdgeFleet is the agent side (Embedded-safe), EdgeFleetControl the host-only
        // operator side behind `edgec fleet`.
        .target(name: "CEdgeMqtt", linkerSettings: [.linkedLibrary("mosquitto"), .linkedLibrary("pthread")]),
        .target(name: "EdgeFleet", dependencies: ["CEdgeMqtt", "EdgeAgent", "CEdgeAgentSupport", "CEdgeSupport", "EdgeTrust", "EdgeWire", "EdgeFormat"]),
        .target(name: "EdgeFleetControl", dependencies: ["EdgeFleet", "EdgeTrust", "EdgeWire", "EdgeFormat"]),
        // Host-only client side of the agent protocol (edgec push/activate/.../loadgen).
        .target(name: "EdgeClient", dependencies: ["EdgeAgent", "CEdgeAgentSupport", "EdgeWire", "EdgeTrust", "EdgeRuntime", "EdgeFormat"]),
        // `edgec deploy`: the slices of a split model onto a chain of agents (host only).
        .target(name: "EdgeChain", dependencies: ["EdgeClient", "EdgeSplit", "EdgeTransfer", "EdgeTrust", "EdgeWire", "EdgeRuntime", "EdgeFormat"]),
        // Starts real edged processes on 127.0.0.1 (needs the edged product built).
        .testTarget(name: "AgentTests", dependencies: ["EdgeTestSupport", "EdgeClient", "EdgeCompiler", "EdgeTrust", "EdgeWire", "EdgeRuntime", "EdgeFormat",
                                                       "EdgeFleet", "EdgeFleetControl", "EdgeChain", "EdgeSplit", "EdgeTransfer", "EdgePlanner",
                                                       "CEdgeSupport", "CEdgeAgentSupport", "EdgeRomaEval", "EdgePruneInit"]),
        .testTarget(name: "EdgePlannerTests", dependencies: ["EdgeTestSupport", "EdgePlanner", "EdgeCompiler", "EdgeRuntime", "EdgeFormat"]),
        .testTarget(name: "EdgeFormatTests", dependencies: ["EdgeTestSupport", "EdgeFormat"]),
        .testTarget(name: "EdgeRomaTests", dependencies: ["EdgeTestSupport", "EdgeRoma", "EdgeRomaEval", "EdgeRuntime", "EdgeFormat", "CEdgeCpuLoad"]),
        .testTarget(name: "EdgeSplitTests", dependencies: ["EdgeTestSupport", "EdgeSplit", "EdgeTransfer", "EdgeWire", "EdgeCompiler", "EdgeRuntime", "EdgeFormat"]),
        .testTarget(name: "EdgeRuntimeTests", dependencies: ["EdgeTestSupport", "EdgeRuntime", "EdgeFormat", "EdgeReference"]),
        // What every test target shares: the seeded RNG, the fixture reader, tensor
        // comparison, running built programs (edgec, edged, qemu) and temp directories.
        .target(name: "EdgeTestSupport", path: "Tests/EdgeTestSupport"),
        // edge-fuzz: the fuzz and mutation loops in child processes (EdgeTestSupport's
        // FuzzCampaign starts it), so a trap fails one test and saves its input.
        .executableTarget(name: "edge-fuzz", dependencies: ["EdgeTestSupport", "EdgeCompiler", "EdgeRuntime", "EdgeFormat", "EdgeWire"],
                          path: "Tests/EdgeFuzzRunner"),
        // Counts malloc calls (interposes glibc's in the test process) for the
        // allocation-free-run test.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        // Runs Firmware/build/aarch64/edge-run under qemu-aarch64 (built by `make firmware`).
        .testTarget(name: "DeviceTests", dependencies: ["EdgeTestSupport", "EdgeCompiler", "EdgeRuntime", "EdgeFormat"]),
        .testTarget(name: "EdgePruneInitTests", dependencies: ["EdgeTestSupport", "EdgePruneInit", "EdgeReports", "EdgeCompiler", "EdgeRuntime", "EdgeFormat"]),
        .testTarget(
            name: "EdgeCompilerTests",
            dependencies: ["EdgeTestSupport", "EdgeCompiler", "EdgeReports", "EdgeRuntime", "EdgeFormat", "CAllocationCounter"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
