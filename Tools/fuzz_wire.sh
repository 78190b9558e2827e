#!/usr/bin/env bash
# Fuzzes the agent's wire frame decoder (header + protobuf-c Envelope + Command) with
# libFuzzer + AddressSanitizer.
#   Tools/fuzz_wire.sh [seconds]     (default 60)
# Seeds: one valid frame of every message kind. Crashes land in out/fuzz-wire/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
out="$root/out/fuzz-wire"
mkdir -p "$out/build" "$out/corpus"
cd "$out/build"
clang -fsanitize=fuzzer-no-link,address -O1 -g -c "$root/Sources/CEdgeWire/edge_wire.pb-c.c" \
    -I "$root/Sources/CEdgeWire/include" -o edge_wire.pb-c.o
# The fuzz entry and the decoder are compiled as one module.
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -I "$root/Sources/CEdgeWire/include" \
    -module-name EdgeWire "$root"/Sources/EdgeWire/*.swift "$root/Tools/fuzz/FuzzWireFrame.swift" \
    edge_wire.pb-c.o -lprotobuf-c -o fuzz-wire
clang -O1 -c "$root/Sources/CEdgeWire/edge_wire.pb-c.c" -I "$root/Sources/CEdgeWire/include" -o plain.o
# Seeds come from the real encoder (a tiny writer program), one frame per kind.
cat > seeds.swift <<'SWIFT'
import Glibc
@main struct Seeds { static func main() {
    let t = WireTensor(name: "x", shape: [1, 2], data: [0, 0, 128, 63, 0, 0, 0, 64])
    let cmd = Command(counter: 5, action: .activate(name: "m")).encode()
    let ms: [Message] = [.infer(InferRequest(inputs: [t])), .inferReply(InferReply(outputs: [t], variant: "v", variantVersion: 1, latencyNanos: 9)),
        .signed(command: cmd, signature: [UInt8](repeating: 1, count: 64)), .pushChunk(offset: 0, data: [1, 2, 3]),
        .status, .statusReply(AgentStatus()), .ok("ok"), .refused(.timeout, "slow"),
        .forward(ForwardRequest(tensor: TransferTensor(encoding: 2, shape: [1, 2, 1, 1], zlib: false, rawBytes: 2, scale: [0.5, 1],
                                                       offset: [0, -1], payload: [3, 200]), visited: [42], zlibOutputs: false)),
        .inferReply(InferReply(outputs: [t], variant: "v", variantVersion: 1, latencyNanos: 9,
                               chain: [ChainHop(variant: "h", computeNanos: 5, sentBytes: 99, totalNanos: 20)])),
        .signed(command: Command(counter: 6, action: .forward(ForwardTarget(variant: "m", host: "127.0.0.1", port: 7001, encoding: 1,
                                                                             zlib: true, timeoutMs: 500))).encode(),
                signature: [UInt8](repeating: 2, count: 64))]
    for (i, m) in ms.enumerated() {
        let f = WireFrame.wrap(Envelope(requestId: UInt64(i), m).encode())
        let fp = fopen("../corpus/seed\(i)", "wb"); _ = f.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, fp) }; fclose(fp)
    }
} }
SWIFT
swiftc -parse-as-library -O -I "$root/Sources/CEdgeWire/include" -module-name SeedWriter \
    "$root"/Sources/EdgeWire/*.swift seeds.swift plain.o -lprotobuf-c -o write-seeds
./write-seeds
cd "$out"
ASAN_OPTIONS=allocator_may_return_null=1 SWIFT_BACKTRACE=enable=no ./build/fuzz-wire -max_total_time="$seconds" \
    -max_len=70000 -rss_limit_mb=2048 -artifact_prefix="$out/" corpus/
