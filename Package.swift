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
//     EdgeSplit     - head/tail split with a Transfer Layer, transfer encodings (edgec split)
//     edgec         - the command-line tool
import PackageDescription

let package = Package(
    name: "Edge",
    products: [
        .executable(name: "edgec", targets: ["edgec"]),
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
        .target(name: "EdgeSplit", dependencies: ["EdgeFormat", "EdgeRuntime", "CEdgeSupport"]),
        .executableTarget(
            name: "edgec",
            dependencies: [
                "EdgeCompiler", "EdgeRuntime", "EdgeFormat", "EdgeSplit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "EdgeFormatTests", dependencies: ["EdgeFormat"]),
        .testTarget(name: "EdgeSplitTests", dependencies: ["EdgeSplit", "EdgeCompiler", "EdgeRuntime", "EdgeFormat"]),
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
