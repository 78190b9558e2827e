// swift-tools-version:6.0
// Edge: ONNX -> .edgm compiler and an allocation-free interpreter for ARM Linux devices.
//
// The target layout draws the line the runtime must not cross:
//   Embedded-Swift-safe (built for the device too, see Firmware/):
//     CEdgeSupport  - C shims: cblas, zlib, POSIX (mmap, open, clock) for both builds
//     EdgeFormat    - the .edgm container and .npy files: read, validate, write
//     EdgeRuntime   - interpreter, memory arena, kernels (reference + fast)
//   Host only (Foundation and packages allowed):
//     CONNX         - protobuf-c code generated from Formats/onnx.proto
//     EdgeCompiler  - ONNX import, graph IR, passes, memory planner, .edgm writer
//     edgec         - the command-line tool
import PackageDescription

let package = Package(
    name: "Edge",
    products: [
        .executable(name: "edgec", targets: ["edgec"]),
        .executable(name: "edged", targets: ["edged"]),
        .library(name: "EdgeRuntime", targets: ["EdgeRuntime"]),
        .library(name: "EdgeCompiler", targets: ["EdgeCompiler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CEdgeSupport",
            linkerSettings: [.linkedLibrary("openblas"), .linkedLibrary("z"), .linkedLibrary("m")]
        ),
        .target(name: "EdgeFormat", dependencies: ["CEdgeSupport"]),
        .target(name: "EdgeRuntime", dependencies: ["EdgeFormat", "CEdgeSupport"]),
        // Plain, obviously-correct kernels over arrays: the oracle the fast kernels are
        // tested against (ncnn's pattern). Not linked into the runtime or the device build.
        .target(name: "EdgeReference", dependencies: ["EdgeFormat", "CEdgeSupport"]),
        .target(
            name: "CONNX",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .target(name: "EdgeCompiler", dependencies: ["EdgeFormat", "EdgeRuntime", "CONNX"]),
        .executableTarget(
            name: "edgec",
            dependencies: [
                "EdgeCompiler", "EdgeRuntime", "EdgeFormat", "EdgeClient", "EdgeTrust", "EdgeWire", "EdgeFleet", "EdgeFleetControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Device agent (Formats/WIRE.md, Formats/ARTIFACT.md): see Sources/EdgeAgent/README.md.
        .target(name: "CEdgeWire", linkerSettings: [.linkedLibrary("protobuf-c")]),
        .target(name: "EdgeWire", dependencies: ["CEdgeWire"]),
        .testTarget(name: "EdgeWireTests", dependencies: ["EdgeWire"]),
        .target(name: "CEdgeSodium", linkerSettings: [.linkedLibrary("sodium")]),
        .target(name: "EdgeTrust", dependencies: ["CEdgeSodium", "EdgeWire", "EdgeFormat"]),
        .testTarget(name: "EdgeTrustTests", dependencies: ["EdgeTrust", "EdgeWire"]),
        .target(name: "CEdgeAgentSupport"),
        .target(name: "EdgeAgent", dependencies: ["CEdgeAgentSupport", "CEdgeSupport", "EdgeWire", "EdgeTrust", "EdgeRuntime", "EdgeFormat"]),
        .executableTarget(name: "edged", dependencies: ["EdgeAgent", "EdgeFleet", "CEdgeAgentSupport"]),
        // Fleet rollout over an MQTT broker (Formats/FLEET.md): CEdgeMqtt wraps libmosquitto,
        // EdgeFleet is the agent side (Embedded-safe), EdgeFleetControl the host-only
        // operator side behind `edgec fleet`.
        .target(name: "CEdgeMqtt", linkerSettings: [.linkedLibrary("mosquitto"), .linkedLibrary("pthread")]),
        .target(name: "EdgeFleet", dependencies: ["CEdgeMqtt", "EdgeAgent", "CEdgeAgentSupport", "CEdgeSupport", "EdgeTrust", "EdgeWire", "EdgeFormat"]),
        .target(name: "EdgeFleetControl", dependencies: ["EdgeFleet", "EdgeTrust", "EdgeWire", "EdgeFormat"]),
        // Host-only client side of the agent protocol (edgec push/activate/.../loadgen).
        .target(name: "EdgeClient", dependencies: ["EdgeAgent", "CEdgeAgentSupport", "EdgeWire", "EdgeTrust", "EdgeRuntime", "EdgeFormat"]),
        // Starts real edged processes on 127.0.0.1 (needs the edged product built).
        .testTarget(name: "AgentTests", dependencies: ["EdgeClient", "EdgeCompiler", "EdgeTrust", "EdgeWire", "EdgeRuntime", "EdgeFormat",
                                                       "EdgeFleet", "EdgeFleetControl"]),
        .testTarget(name: "EdgeFormatTests", dependencies: ["EdgeFormat"]),
        .testTarget(name: "EdgeRuntimeTests", dependencies: ["EdgeRuntime", "EdgeFormat", "EdgeReference"]),
        // Counts malloc calls (interposes glibc's in the test process) for the
        // allocation-free-run test.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        // Runs Firmware/build/aarch64/edge-run under qemu-aarch64 (built by `make firmware`).
        .testTarget(name: "DeviceTests", dependencies: ["EdgeCompiler", "EdgeRuntime", "EdgeFormat"]),
        .testTarget(
            name: "EdgeCompilerTests",
            dependencies: ["EdgeCompiler", "EdgeRuntime", "EdgeFormat", "CAllocationCounter"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
