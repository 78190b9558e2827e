#!/usr/bin/env python3
"""Record scission_predict.py's rankings as expected values for EdgePlannerTests.

    python3 Tools/make_scission_fixtures.py --scission PATH/TO/scission_predict.py \
        [--data ../shared/data/scission/benchmark_data] [-o Tests/Fixtures/scission/predictions.json]

Scission's script (qub-blesson/Scission; needs numpy and matplotlib) is not part of this
repository: fetch it yourself and point --scission at it. Each query runs under several
PYTHONHASHSEED values, because Scission ranks equal times in set order; a query whose
output changes with the seed is reported and left out. The fixture keeps, per query, the
arguments and the "[N] ..." lines Scission printed (or that it found nothing).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

QUERIES = [
    # Scission's README example first.
    ["vgg19", "-d", "!-1", "-e", "10", "-c", "16"],
    ["vgg19"],
    ["vgg16", "--result-count", "10"],
    ["resnet50", "-e", "-1"],
    ["resnet50", "-c", "-1"],
    ["mobilenet", "-d", "5"],
    ["densenet121", "-d", "!3"],
    ["inception_v3", "-e", "vm2Core"],
    ["inception_v3", "-e", "!vm2Core"],
    ["vgg16", "-c", "6700k(NoGPU)"],
    ["resnet101", "-c", "!6700k(GPU)"],
    ["xception", "--device-upload", "0.5"],
    ["vgg19", "--edge-upload", "1"],
    ["resnet152", "--device-time", "0.5"],
    ["resnet152", "--device-time", "30%"],
    ["mobilenetv2", "--edge-time", "0.05"],
    ["mobilenetv2", "--edge-time", "10%", "-e", "!-1"],
    ["densenet169", "--cloud-time", "0.01"],
    ["densenet201", "--cloud-time", "50%", "-d", "!-1"],
    ["nasnetmobile", "-d", "-1", "-e", "-1"],
    ["vgg19", "-d", "-1"],
    ["inceptionresnet_v2", "-d", "3,!40", "-e", "!-1", "--result-count", "10"],
    ["vgg19", "-i", "0.5", "-d", "!-1"],
    ["resnet50v2", "-e", "vm2Core,!-1", "-c", "!-1"],
    ["resnet101v2", "--result-count", "3", "-c", "-1", "-d", "!5"],
    ["resnet152v2", "-d", "!-1", "--device-upload", "0.2", "--edge-upload", "0.5"],
    ["nasnetlarge", "-e", "!vm2Core"],
    ["mobilenet", "-d", "20", "-e", "40", "-c", "80"],
    ["densenet121", "-d", "raspi4,!-1", "-e", "-1", "--device-time", "40%"],
    ["vgg19", "--device=-1,5"],
    ["resnet50", "-d", "!-1", "-e", "!-1", "-c", "!-1", "--edge-time", "25%", "--cloud-time", "0.05"],
    ["xception", "-e", "!-1", "--edge-upload", "0.2", "--result-count", "8"],
    ["inception_v3", "-i", "0.05", "--device-upload", "0.1"],
    ["vgg16", "-d", "!-1", "--network", "network_stats_wired.csv"],
    ["mobilenetv2", "-c", "-1", "--network", "network_stats_wired.csv", "--result-count", "7"],
]

SEEDS = ["0", "1", "2"]


def run(script, data, query, seed, workdir):
    query = list(query)
    network = "network_stats.csv"
    if "--network" in query:
        i = query.index("--network")
        network = query[i + 1]
        del query[i:i + 2]
    # Scission saves its graph next to its script: run a copy in a scratch directory.
    env = dict(os.environ, PYTHONHASHSEED=seed, MPLBACKEND="Agg")
    cmd = [sys.executable, script, os.path.abspath(data), os.path.join(os.path.abspath(data), network)] + query
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr.strip().splitlines()[-1:]}")
    lines = [l for l in out.stdout.splitlines() if l.startswith("[") and not l.startswith("[+]")]
    empty = "No results for the specified configuration" in out.stdout
    return network, lines, empty


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scission", required=True, help="path to scission_predict.py")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "scission", "benchmark_data"))
    ap.add_argument("-o", "--output", default=os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "scission", "predictions.json"))
    ap.add_argument("--keep", action="store_true", help="reuse the queries the output file already records")
    args = ap.parse_args()
    # Queries already recorded (same arguments and network) are kept, not re-run.
    known = {}
    if args.keep and os.path.exists(args.output):
        with open(args.output) as f:
            for q in json.load(f)["queries"]:
                known[json.dumps(q["query"])] = q
    fixtures = []
    with tempfile.TemporaryDirectory() as work:
        script = os.path.join(work, "scission_predict.py")
        with open(args.scission) as src, open(script, "w") as dst:
            dst.write(src.read())
        for q in QUERIES:
            if json.dumps(q) in known:
                fixtures.append(known[json.dumps(q)])
                continue
            outcomes = [run(script, args.data, q, s, work) for s in SEEDS]
            if any(o != outcomes[0] for o in outcomes):
                print(f"unstable under PYTHONHASHSEED (tied times), left out: {q}", file=sys.stderr)
                continue
            network, lines, empty = outcomes[0]
            fixtures.append({"query": q, "network": network, "lines": lines, "no_results": empty})
            print(f"{' '.join(q)}: {len(lines)} results" + (" (none)" if empty else ""), flush=True)
    with open(args.output, "w") as f:
        json.dump({"generator": "Tools/make_scission_fixtures.py", "data": "../shared/data/scission/benchmark_data",
                   "queries": fixtures}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(fixtures)} queries to {args.output}")


if __name__ == "__main__":
    sys.exit(main())
