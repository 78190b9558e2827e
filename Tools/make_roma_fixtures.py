#!/usr/bin/env python3
"""Writes Tests/Fixtures/roma/: a tiny scenario and what onnxruntime + the Python decoder
make of it, for the Swift tests (EdgeRomaTests) to compare our runtime and decoder with.

    python3 Tools/make_roma_fixtures.py

Needs the trained detectors in Tests/Fixtures/detectors (Tools/train_roma_detectors.py).
expected.json holds, per detector, the number of detections on every frame, the first
frame's detections (x0, y0, x1, y1, score) and the AP50 / AP75 of each frame's own
detections against its ground truth (not streaming: this checks decoding and matching; the
streaming logic has hand-computed tests).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import roma_scenario  # noqa: E402
import train_roma_detectors as trd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "roma" / "tiny"
PROFILE = ROOT / "Tools" / "roma_profiles" / "tiny.json"
SEED = 5


def main() -> int:
    profile = roma_scenario.load_profile(json.loads(PROFILE.read_text()))
    frames, gt = roma_scenario.render(profile, SEED)
    roma_scenario.write(OUT, frames, gt)
    manifest = json.loads((trd.DEFAULT_OUT / "manifest.json").read_text())
    truth = [[b for b in f["boxes"]] for f in gt["frames"]]
    expected = {"scenario": f"Tools/roma_profiles/tiny.json, seed {SEED}", "detectors": {}}
    for d in manifest["detectors"]:
        sess = trd.ort_session(trd.DEFAULT_OUT / d["model"])
        dets = []
        for k in range(len(frames)):
            x = (frames[k:k + 1].astype(np.float32) / 255.0)[:, None]
            dets.append(trd.decode(sess.run(["maps"], {"frame": x})[0][0]))
        expected["detectors"][d["name"]] = {
            "detections_per_frame": [len(x) for x in dets],
            "first_frame_detections": [[round(float(v), 4) for v in det] for det in dets[0]],
            "ap50": round(trd.evaluate(dets, truth, 0.5)[0], 6),
            "ap75": round(trd.evaluate(dets, truth, 0.75)[0], 6),
        }
        print(d["name"], expected["detectors"][d["name"]])
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
