#!/usr/bin/env bash
# Fuzzes the .edgm loader and interpreter with libFuzzer + AddressSanitizer.
#   Tools/fuzz_edgm.sh [seconds]     (default 60)
# Seeds: the fixture models compiled by the release edgec. Crashes land in out/fuzz/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
out="$root/out/fuzz"
mkdir -p "$out/build" "$out/corpus"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$root/Sources/CEdgeSupport/include")
cd "$out/build"
swiftc "${flags[@]}" -module-name EdgeFormat -emit-module -emit-module-path EdgeFormat.swiftmodule \
    -c "$root"/Sources/EdgeFormat/*.swift -wmo -o EdgeFormat.o
swiftc "${flags[@]}" -I . -module-name EdgeRuntime -emit-module -emit-module-path EdgeRuntime.swiftmodule \
    -c $(find "$root/Sources/EdgeRuntime" -name '*.swift' | sort) -wmo -o EdgeRuntime.o
swiftc "${flags[@]}" -I . "$root/Tools/fuzz/FuzzEdgm.swift" EdgeFormat.o EdgeRuntime.o \
    -lopenblas -lz -o fuzz-edgm
edgec="$root/.build/release/edgec"
[ -x "$edgec" ] || (cd "$root" && swift build -c release --product edgec)
for m in resnet18 mobilenetv3_small yolo_tiny; do
    shapes=$(python3 -c "import json,sys;c=json.load(open('$root/Tests/Fixtures/models/$m/case.json'));print(' '.join('--shape %s=%s'%(k,'x'.join(map(str,v))) for k,v in c['runs'][0]['shapes'].items()))" 2>/dev/null || true)
    "$edgec" compile "$root/Tests/Fixtures/models/$m/model.onnx" -o "$out/build/$m.edgm" $shapes >/dev/null
    { printf '\x00'; cat "$out/build/$m.edgm"; } > "$out/corpus/$m-nocrc"
    { printf '\x01'; cat "$out/build/$m.edgm"; } > "$out/corpus/$m-crc"
done
cd "$out"
ASAN_OPTIONS=allocator_may_return_null=1 SWIFT_BACKTRACE=enable=no OPENBLAS_NUM_THREADS=1 ./build/fuzz-edgm -max_total_time="$seconds" -max_len=2000000 \
    -rss_limit_mb=4096 -artifact_prefix="$out/" corpus/
