#!/usr/bin/env bash
# Compiles the runtime core (EdgeFormat + EdgeRuntime), the device main and the ROMA selector (EdgeRoma)
# in Embedded Swift for the host
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
echo "embedded check: EdgeFormat, EdgeRuntime, the device main and EdgeRoma compile in Embedded Swift"
