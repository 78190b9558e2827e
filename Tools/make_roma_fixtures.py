#!/usr/bin/env python3
"""Writes Tests/Fixtures/roma/: a tiny scenario and what onnxruntime + the Python decoder
make of it, for the Swift tests (EdgeRomaTests) to compare our runtime and decoder with.

    python3 Tools/make_roma_fixtures.py

It also writes Tests/Fixtures/roma/agent_switch/: two still scenes (small objects, then
large ones; Tools/roma_profiles/agent_switch.json), each rendered on its own so no object
of the first survives into the second, for the agent's ROMA loopback test (AgentTests).

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
SWITCH_OUT = ROOT / "Tests" / "Fixtures" / "roma" / "agent_switch"
SWITCH_PROFILE = ROOT / "Tools" / "roma_profiles" / "agent_switch.json"
SWITCH_SEED = 41


def write_agent_switch() -> None:
    """One scenario of separately rendered segments (timestamps continue across them)."""
    segments = json.loads(SWITCH_PROFILE.read_text())["segments"]
    all_frames, frames_gt, seg_info, t0 = [], [], [], 0.0
    for si, seg in enumerate(segments):
        frames, gt = roma_scenario.render(roma_scenario.load_profile({"segments": [seg]}), SWITCH_SEED + si)
        info = dict(gt["segments"][0], first_frame=len(frames_gt))
        for f in gt["frames"]:
            frames_gt.append({"t": round(t0 + f["t"], 6), "segment": si, "boxes": f["boxes"]})
        t0 += len(frames) / seg["fps"]
        seg_info.append(info)
        all_frames.append(frames)
        width, height = gt["width"], gt["height"]
    gt = {"format": "roma-scenario", "version": 1, "seed": SWITCH_SEED, "width": width, "height": height,
          "segments": seg_info, "frames": frames_gt}
    roma_scenario.write(SWITCH_OUT, np.concatenate(all_frames), gt)
    print("wrote", SWITCH_OUT)


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
    write_agent_switch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
