#!/usr/bin/env python3
"""Convert Scission / ScissionTL benchmark files (TYPE-NAME.dat) into Edge profiles.

    python3 Tools/import_scission.py BENCHMARK_DIR -o OUT_DIR

Each TYPE-NAME.dat (a Python pickle: {model: [LayerBenchmark, ...]}) becomes
OUT_DIR/NAME.json in the schema of Formats/PROFILE.md, with tier TYPE and system NAME.
Network files (*.csv) are copied alongside, so `edgec partition --profiles OUT_DIR
--network OUT_DIR/network_stats.csv` works on the result.

The pickles are read with a restricted unpickler: the only class it will build is a
plain attribute holder standing in for Scission's LayerBenchmark, and it calls no
constructor, function or import a pickle names. Anything else is refused.
Needs only the Python standard library.
"""
import argparse
import json
import math
import os
import pickle
import shutil
import sys


class _Record:
    """Stands in for Scission's LayerBenchmark: attributes only, no behaviour."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise pickle.UnpicklingError("a LayerBenchmark's state is not a dict")
        self.__dict__.update(state)


class RestrictedUnpickler(pickle.Unpickler):
    ALLOWED = {("__main__", "LayerBenchmark")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return _Record
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only Scission's LayerBenchmark records are read")

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent references")


def _number(record, key, kind, where):
    v = getattr(record, key, None)
    if kind is int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError(f"{where}: {key} is {v!r}, not an integer")
    else:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{where}: {key} is {v!r}, not a finite number")
        v = float(v)
    return v


def convert(path):
    base = os.path.basename(path)
    stem = base[:-len(".dat")]
    if "-" not in stem:
        raise ValueError(f"{base}: the name must be TYPE-NAME.dat (e.g. device-raspi4.dat)")
    tier, system = stem.split("-", 1)
    tier = tier.lower()
    with open(path, "rb") as f:
        data = RestrictedUnpickler(f).load()
    if not isinstance(data, dict):
        raise ValueError(f"{base}: expected a dict of model name -> list of layer benchmarks")
    models = []
    for model, records in data.items():
        if not isinstance(model, str) or not isinstance(records, list) or not records:
            raise ValueError(f"{base}: entry {model!r} is not a model name with a list of blocks")
        blocks = []
        for i, r in enumerate(records):
            where = f"{base} {model} block {i}"
            if not isinstance(r, _Record):
                raise ValueError(f"{where}: not a LayerBenchmark")
            block = {
                "first_layer": _number(r, "input_layer", int, where),
                "last_layer": _number(r, "output_layer", int, where),
                "seconds": _number(r, "second_prediction", float, where),
                "output_bytes": _number(r, "output_size", int, where),
            }
            # ScissionTL: a Transfer Layer after this block (-1 times: none measured).
            if hasattr(r, "tl_output_size"):
                down = _number(r, "downsample_time", float, where)
                if down >= 0:
                    block["transfer_layer"] = {
                        "output_bytes": _number(r, "tl_output_size", int, where),
                        "downsample_s": down,
                        "upsample_s": _number(r, "upsample_time", float, where),
                        "dataconvert_s": _number(r, "dataconvert_time", float, where),
                    }
            blocks.append(block)
        models.append({"name": model, "runner": "scission", "blocks": blocks})
    return {
        "format": "edge-profile",
        "version": 1,
        "system": system,
        "tier": tier,
        "source": f"imported from {base} (Scission benchmark data)",
        "models": models,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("benchmark_dir")
    ap.add_argument("-o", "--output", required=True, help="directory for the NAME.json profiles")
    args = ap.parse_args()
    if not os.path.isdir(args.benchmark_dir):
        print(f"import_scission: error: no such directory '{args.benchmark_dir}'", file=sys.stderr)
        return 3
    names = sorted(n for n in os.listdir(args.benchmark_dir) if n.endswith(".dat"))
    if not names:
        print(f"import_scission: error: no .dat files in '{args.benchmark_dir}'", file=sys.stderr)
        return 2
    os.makedirs(args.output, exist_ok=True)
    for n in names:
        try:
            profile = convert(os.path.join(args.benchmark_dir, n))
        except (pickle.UnpicklingError, ValueError, EOFError) as e:
            print(f"import_scission: error: {n}: {e}", file=sys.stderr)
            return 4
        out = os.path.join(args.output, profile["system"] + ".json")
        with open(out, "w") as f:
            json.dump(profile, f, indent=1)
            f.write("\n")
        blocks = sum(len(m["blocks"]) for m in profile["models"])
        print(f"{n} -> {out}: {profile['tier']} {profile['system']}, {len(profile['models'])} models, {blocks} blocks")
    for n in sorted(os.listdir(args.benchmark_dir)):
        if n.endswith(".csv"):
            shutil.copyfile(os.path.join(args.benchmark_dir, n), os.path.join(args.output, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
