#!/usr/bin/env python3
"""Old vs new edgec on one .edgm, alternating, per kernel group in process CPU time.

    Tools/bench_ab_layers.py OLD_EDGEC NEW_EDGEC MODEL.edgm [--threads 1] [--pairs 6]

Runs `edgec bench MODEL --cpu-clock --json` with each binary in turn (the order flipped
every pair, so drift in the machine's load hits both alike), then prints per group of
layers (the `kernel` column's first word; im2col layers named `layer4` on their own) the
median over runs of the group's summed per-layer CPU ms, and the whole model's wall and
CPU medians, each as new/old. CPU time is what a layer costs on a shared machine whatever
the load; unrelated groups moving by a few percent show the noise. OPENBLAS_CORETYPE is
unset for edgec, as in bench_vs_ort.py.
"""
import argparse
import json
import os
import statistics
import subprocess


def group(layer):
    kernel = layer["kernel"]
    if kernel.startswith("im2col") and "layer4" in layer["name"]:
        return "im2col-layer4"
    return kernel.split()[0] if kernel else layer["op"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("model")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--iterations", default="10")
    args = ap.parse_args()
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    runs = {"old": [], "new": []}
    for p in range(args.pairs):
        for which in (["old", "new"] if p % 2 == 0 else ["new", "old"]):
            cmd = [getattr(args, which), "bench", args.model, "--iterations", args.iterations, "--warmup", "2",
                   "--threads", args.threads, "--cpu-clock", "--json"]
            runs[which].append(json.loads(subprocess.run(cmd, capture_output=True, text=True, env=env,
                                                         check=True).stdout))

    def sums(d):
        s = {}
        for layer in d["layers"]:
            s[group(layer)] = s.get(group(layer), 0) + layer["ms"]
        return s

    load = open("/proc/loadavg").read().split()[0]
    print(f"{os.path.basename(args.model)}, {args.threads} thread(s), {args.pairs} alternating pairs, "
          f"load average {load} at the end")
    for g in sorted(set().union(*[sums(d).keys() for d in runs["old"]])):
        o = statistics.median(sums(d).get(g, 0) for d in runs["old"])
        n = statistics.median(sums(d).get(g, 0) for d in runs["new"])
        if o > 0.3:
            print(f"  {g:16s} CPU ms old {o:7.2f} new {n:7.2f} new/old {n / o:.3f}")
    for field in ("median_ms", "cpu_median_ms"):
        o = statistics.median(d[field] for d in runs["old"])
        n = statistics.median(d[field] for d in runs["new"])
        print(f"  whole {field:14s} old {o:7.2f} new {n:7.2f} new/old {n / o:.3f}")


if __name__ == "__main__":
    main()
