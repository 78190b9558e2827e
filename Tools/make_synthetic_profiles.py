#!/usr/bin/env python3
"""Write a synthetic partition problem: profiles of a long model on many systems.

    python3 Tools/make_synthetic_profiles.py -o OUT_DIR [--blocks 400] [--tiers device,gateway,edge,cloud] [--systems 5]

A DenseNet-sized chain (400 blocks by default) with per-block times that shrink towards
the cloud and output sizes that shrink along the model, on SYSTEMS systems per tier, and
a network file with a link from every system to every system of a later tier. Used to
time `edgec partition` on a large case (BENCHMARKS.md). Seeded: the same files every run.
"""
import argparse
import json
import os
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--blocks", type=int, default=400)
    ap.add_argument("--tiers", default="device,gateway,edge,cloud")
    ap.add_argument("--systems", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tiers = args.tiers.split(",")
    os.makedirs(args.output, exist_ok=True)
    names = {}
    for t, tier in enumerate(tiers):
        names[tier] = []
        for s in range(args.systems):
            name = f"{tier}{s}"
            names[tier].append(name)
            speed = 4.0 ** t * rng.uniform(0.7, 1.3)
            blocks = []
            for b in range(args.blocks):
                blocks.append({
                    "first_layer": 3 * b, "last_layer": 3 * b + 2,
                    "seconds": rng.uniform(0.5, 1.5) * 0.01 / speed,
                    "output_bytes": int(4e6 * 0.99 ** b * rng.uniform(0.5, 1.5)),
                })
            profile = {"format": "edge-profile", "version": 1, "system": name, "tier": tier,
                       "source": "Tools/make_synthetic_profiles.py", "models": [
                           {"name": "synthetic", "input_bytes": 602240, "blocks": blocks}]}
            with open(os.path.join(args.output, name + ".json"), "w") as f:
                json.dump(profile, f)
    with open(os.path.join(args.output, "network.csv"), "w") as f:
        f.write("source,destination,ping(ms),bandwidth(mbps)\n")
        for i, a in enumerate(tiers):
            for b in tiers[i + 1:]:
                for x in names[a]:
                    for y in names[b]:
                        f.write(f"{x},{y},{rng.uniform(5, 45):.1f},{10 * (i + 1) * rng.uniform(0.5, 1.5):.1f}\n")
    print(f"wrote {len(tiers) * args.systems} profiles of {args.blocks} blocks and network.csv to {args.output}")


if __name__ == "__main__":
    main()
