#!/usr/bin/env python3
"""Time `edgec partition`: the large synthetic case, and side by side with Scission.

    python3 Tools/bench_partition.py [--edgec .build/release/edgec] [--scission PATH/scission_predict.py]
                                     [--data ../shared/data/scission/benchmark_data] [--rounds 5]

1. A 400-block model over 4 tiers x 5 systems (Tools/make_synthetic_profiles.py), the
   default search and a constrained one: best of --rounds wall-clock runs of the whole
   command, and the search time edgec reports (--json search_ms).
2. With --scission (run this script with a python3 that has numpy + matplotlib):
   scission_predict.py and edgec partition on the same queries of Scission's data,
   alternating, best of --rounds. Whole commands are compared by CPU time (user + sys),
   which a loaded machine distorts less than wall time; both include start-up and
   reading the data (Scission also draws its graph).
Prints a Markdown table for BENCHMARKS.md.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


CPU = []  # CPU seconds (user + sys) of the last timed() child: fair on a loaded machine


def timed(cmd, **kw):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[:] = [r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime]
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {out.stderr.strip()}")
    return dt, out.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edgec", default=os.path.join(HERE, "..", ".build", "release", "edgec"))
    ap.add_argument("--scission")
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data", "scission", "benchmark_data"))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        synth = os.path.join(work, "synth")
        subprocess.run([sys.executable, os.path.join(HERE, "make_synthetic_profiles.py"), "-o", synth], check=True, capture_output=True)
        base = [args.edgec, "partition", "--profiles", synth, "--network", os.path.join(synth, "network.csv"),
                "--model", "synthetic", "--chain", "device,gateway,edge,cloud", "--json"]
        for label, extra in [("400 blocks, 4 tiers x 5 systems, top 5", []),
                             ("same, -d '!-1' --criteria=gateway='!-1' --upload=device=1 --time=edge=30% --top 10",
                              ["-d", "!-1", "--criteria=gateway=!-1", "--upload=device=1", "--time=edge=30%", "--top", "10"])]:
            walls, searches = [], []
            for _ in range(args.rounds):
                dt, out = timed(base + extra)
                walls.append(CPU[0])
                searches.append(json.loads(out)["search_ms"])
            rows.append((label, min(searches), min(walls) * 1000, None))

        if args.scission:
            prof = os.path.join(work, "prof")
            subprocess.run([sys.executable, os.path.join(HERE, "import_scission.py"), args.data, "-o", prof], check=True, capture_output=True)
            script = os.path.join(work, "scission_predict.py")
            with open(args.scission) as a, open(script, "w") as b:
                b.write(a.read())
            data = os.path.abspath(args.data)
            for q in [["vgg19", "-d", "!-1", "-e", "10", "-c", "16"], ["mobilenet"], ["inceptionresnet_v2"]]:
                ours, theirs = [], []
                for _ in range(args.rounds):
                    dt, _ = timed([sys.executable, script, data, os.path.join(data, "network_stats.csv")] + q,
                                  cwd=work, env=dict(os.environ, MPLBACKEND="Agg"))
                    theirs.append(CPU[0])
                    crit = []
                    long = {"-d": "--device", "-e": "--edge", "-c": "--cloud"}
                    for flag, val in zip(q[1::2], q[2::2]):
                        crit.append(f"{long.get(flag, flag)}={val}")
                    dt, _ = timed([args.edgec, "partition", "--profiles", prof, "--network", os.path.join(prof, "network_stats.csv"),
                                   "--model", q[0]] + crit)
                    ours.append(CPU[0])
                rows.append((f"Scission's data: {' '.join(q)}", None, min(ours) * 1000, min(theirs) * 1000))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; best of {args.rounds}")
    print("| case | edgec search ms (wall, as reported) | edgec command CPU ms | scission_predict.py command CPU ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for label, search, wall, peer in rows:
        print(f"| {label} | {'' if search is None else f'{search:.1f}'} | {wall:.1f} | {'' if peer is None else f'{peer:.0f}'} | "
              f"{'' if peer is None else f'{peer / wall:.0f}x'} |")


if __name__ == "__main__":
    main()
