#!/usr/bin/env bash
# Compiles the runtime core (EdgeFormat + EdgeRuntime), the device main, the ROMA selector (EdgeRoma)
# and the device agent (EdgeRoma + EdgeWire + EdgeTrust + EdgeTransfer + EdgeAgent + EdgeFleet +
# Firmware/AgentMain, one module as
# Firmware/agent.mk builds it) in Embedded Swift for the host
# triple: a fast check, without qemu or cross toolchains, that the core stays inside the
# Embedded subset (no Foundation, no untyped throws, no existentials, no key paths...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
flags=(-target x86_64-unknown-linux-gnu -enable-experimental-feature Embedded
       -enable-experimental-feature Extern -wmo -parse-as-library -Osize
       -I "$root/Sources/CEdgeSupport/include" -Xcc -fPIC)
swiftc "${flags[@]}" -module-name EdgeFormat -emit-module -emit-module-path "$out/EdgeFormat.swiftmodule" \
    -c "$root"/Sources/EdgeFormat/*.swift -o "$out/EdgeFormat.o"
swiftc "${flags[@]}" -I "$out" -module-name EdgeRuntime -emit-module -emit-module-path "$out/EdgeRuntime.swiftmodule" \
    -c $(find "$root/Sources/EdgeRuntime" -name '*.swift' | sort) -o "$out/EdgeRuntime.o"
swiftc "${flags[@]}" -I "$out" -module-name EdgeRun -c "$root"/Firmware/DeviceMain/*.swift -o "$out/EdgeRun.o"
swiftc "${flags[@]}" -module-name EdgeRoma -emit-module -emit-module-path "$out/EdgeRoma.swiftmodule" \
    -c "$root"/Sources/EdgeRoma/*.swift -o "$out/EdgeRoma.o"
# The agent: one module, its `import EdgeX` lines resolved by empty stub modules (agent.mk).
stub="$out/agent-stub"
mkdir -p "$stub"
: > "$stub/empty.swift"
for m in EdgeFormat EdgeRuntime EdgeRoma EdgeWire EdgeTrust EdgeTransfer EdgeAgent EdgeFleet; do
    swiftc "${flags[@]}" -module-name "$m" -emit-module -emit-module-path "$stub/$m.swiftmodule" "$stub/empty.swift"
done
swiftc "${flags[@]}" -I "$stub" -I "$root/Sources/CEdgeWire/include" -I "$root/Sources/CEdgeSodium/include" \
    -I "$root/Sources/CEdgeAgentSupport/include" -I "$root/Sources/CEdgeMqtt/include" -module-name Edged \
    -c "$root"/Sources/EdgeFormat/*.swift $(find "$root/Sources/EdgeRuntime" -name '*.swift' | sort) \
    "$root"/Sources/EdgeRoma/*.swift "$root"/Sources/EdgeWire/*.swift "$root"/Sources/EdgeTrust/*.swift \
    "$root"/Sources/EdgeTransfer/*.swift "$root"/Sources/EdgeAgent/*.swift "$root"/Sources/EdgeFleet/*.swift \
    "$root"/Firmware/AgentMain/*.swift -o "$out/Edged.o"
echo "embedded check: EdgeFormat, EdgeRuntime, the device main, EdgeRoma and the agent (edged) compile in Embedded Swift"
