#!/usr/bin/env python3
"""ROMA benchmark: every policy on the five scenarios of Tools/roma_profiles/, streaming AP.

    python3 Tools/bench_roma.py --edgec .build/release/edgec [--out out/roma] [--latency-scale 25]
    python3 Tools/bench_roma.py --mode realtime --speedup 25 [--out out/roma]

Renders each scenario (Tools/roma_scenario.py, fixed seeds), then runs
`edgec roma-eval --mode simulated --json` with the policies roma, latency, oracle and
fixed:NAME for every detector of Tests/Fixtures/detectors/manifest.json, and prints a
Markdown table of streaming AP50 (and mAP) per scenario and policy, ROMA's change against
the best fixed detector of that scenario and its gap to the oracle. Raw results go to
OUT/results.json. Every process runs under `nice -n 19` (the machine is shared).

--mode realtime plays every scenario against the wall clock --speedup times faster and runs
the detectors for real (no oracle: it needs the labels in hindsight); those runs are not
niced (a niced detector would lose its core to every other job, not just to the scenario's
cpu_load process), results go to OUT/results-realtime.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [("static_small", 11), ("fast_large", 12), ("alternating", 13), ("density", 14), ("cpu_burst", 15)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edgec", default=str(ROOT / ".build" / "release" / "edgec"))
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "roma")
    ap.add_argument("--manifest", type=Path, default=ROOT / "Tests" / "Fixtures" / "detectors" / "manifest.json")
    ap.add_argument("--latency-scale", type=float, default=25.0)
    ap.add_argument("--seed", type=int, default=1, help="seed of the simulated latency draws")
    ap.add_argument("--only", help="comma-separated scenario names")
    ap.add_argument("--mode", choices=["simulated", "realtime"], default="simulated")
    ap.add_argument("--speedup", type=float, default=25.0, help="realtime: play the videos this many times faster")
    ap.add_argument("--cpu", type=int, default=0, help="realtime: core shared by detectors and load")
    args = ap.parse_args()
    manifest = json.loads(args.manifest.read_text())
    names = [d["name"] for d in manifest["detectors"]]
    realtime = args.mode == "realtime"
    policies = ["roma", "latency"] + ([] if realtime else ["oracle"]) + [f"fixed:{n}" for n in names]
    results = {}
    for scen, seed in SCENARIOS:
        if args.only and scen not in args.only.split(","):
            continue
        d = args.out / scen
        if not (d / "ground_truth.json").exists():
            subprocess.run(["nice", "-n", "19", sys.executable, str(ROOT / "Tools" / "roma_scenario.py"), "--seed", str(seed),
                            "--profile", str(ROOT / "Tools" / "roma_profiles" / f"{scen}.json"), "-o", str(d)], check=True)
        results[scen] = {}
        for pol in policies:
            mode = (["--mode", "realtime", "--speedup", str(args.speedup), "--cpu", str(args.cpu)] if realtime else
                    ["--mode", "simulated", "--latency-scale", str(args.latency_scale), "--seed", str(args.seed)])
            cmd = ([] if realtime else ["nice", "-n", "19"]) + [args.edgec, "roma-eval", "--detectors", str(args.manifest),
                                                                 "--scenario", str(d), "--policy", pol, "--json"] + mode
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            results[scen][pol] = json.loads(out)
            r = results[scen][pol]
            print(f"  {scen} {pol}: sAP50 {r['sap50']} mAP {r['map']} switches {r['switches']}", file=sys.stderr, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ("results-realtime.json" if realtime else "results.json")).write_text(json.dumps(results, indent=1) + "\n")

    fixed = [f"fixed:{n}" for n in names]
    head = ["scenario"] + names + ["latency-only", "ROMA", "oracle", "ROMA vs best fixed", "ROMA / oracle", "ROMA switches"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for scen, res in results.items():
        def cell(p):
            r = res[p]
            return f"{r['sap50']:.3f} ({r['map']:.3f})" if r["sap50"] is not None else "-"
        best = max(fixed, key=lambda p: res[p]["sap50"] or 0)
        b, ro = res[best]["sap50"] or 0, res["roma"]["sap50"] or 0
        orc = 0 if realtime else res["oracle"]["sap50"] or 0
        row = [scen] + [("**" + cell(p) + "**") if p == best else cell(p) for p in fixed]
        row += [cell("latency"), cell("roma"), "-" if realtime else cell("oracle"),
                f"{100 * (ro - b) / b:+.1f}% vs {best[6:]}" if b > 0 else "-",
                f"{100 * ro / orc:.0f}%" if orc > 0 else "-", str(res["roma"]["switches"])]
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
