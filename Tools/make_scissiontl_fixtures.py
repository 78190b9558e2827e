#!/usr/bin/env python3
"""Record ScissionTL's densenet169 ranking as expected values for EdgePlannerTests.

    python3 Tools/make_scissiontl_fixtures.py --scissiontl PATH/TO/scissionTL_predict.py \
        [--data ../shared/data/scissiontl/benchmark_data] [-o Tests/Fixtures/scissiontl/densenet169.json]

ScissionTL's predictor (qub-blesson/ScissionTL, "ScissionTL(Tensorflow)/scissionTL_predict.py";
needs only the standard library until it draws its chart, which needs matplotlib) is not
part of this repository: fetch it yourself and point --scissiontl at it. The query is the
issue's: device tx2_gpu, edge ampere (the other edge's file is left out), densenet169.

Two faults of the predictor shape the query:
  * it prints nothing for the device-only configuration: ranking it crashes (KeyError
    ('tx2_gpu', None) in transfer_tl_versus_origin), so the query keeps only
    configurations with an edge part (`-e ampere`); and its score would be wrong anyway:
    the missing Transfer Layer times (-1) become 1000 s each, so the device-only
    configuration is charged about 2 x 1000 - 2 s more than its compute.
  * it has no edge-only configuration at all (the device always runs block 0 on).
The fixture keeps the "[N] ..." lines it printed, per PYTHONHASHSEED (equal times are
ranked in set order; a seed-dependent order is reported and refused).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

QUERY = ["densenet169", "-r", "300", "-e", "ampere"]
FILES = ["device-tx2_gpu.dat", "edge-ampere.dat", "network_stats.csv"]


def run(script, data, seed):
    with tempfile.TemporaryDirectory() as tmp:
        # The predictor changes to its own directory, then to the benchmark folder.
        shutil.copy(script, os.path.join(tmp, "predict.py"))
        os.mkdir(os.path.join(tmp, "data"))
        for f in FILES:
            shutil.copy(os.path.join(data, f), os.path.join(tmp, "data", f))
        env = dict(os.environ, PYTHONHASHSEED=str(seed))
        r = subprocess.run([sys.executable, os.path.join(tmp, "predict.py"), "data", "network_stats.csv"] + QUERY,
                           capture_output=True, text=True, env=env)
        return [l for l in r.stdout.splitlines() if re.match(r"^\[\d+\] ", l)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scissiontl", required=True, help="path to scissionTL_predict.py")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data/scissiontl/benchmark_data"))
    ap.add_argument("-o", "--output", default=os.path.join(os.path.dirname(__file__), "../Tests/Fixtures/scissiontl/densenet169.json"))
    args = ap.parse_args()
    runs = [run(args.scissiontl, args.data, seed) for seed in (0, 1, 2)]
    if not runs[0]:
        print("make_scissiontl_fixtures: the predictor printed no results", file=sys.stderr)
        return 1
    if any(r != runs[0] for r in runs):
        print("make_scissiontl_fixtures: the ranking depends on PYTHONHASHSEED", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump({"source": "qub-blesson/ScissionTL ScissionTL(Tensorflow)/scissionTL_predict.py",
                   "device": "tx2_gpu", "edge": "ampere", "query": QUERY, "lines": runs[0]}, f, indent=1)
        f.write("\n")
    print(f"{len(runs[0])} ranked configurations -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
