#!/usr/bin/env python3
"""Renders ROMA scenarios: synthetic videos with exact ground truth (Formats/ROMA_SCENARIO.md).

    python3 Tools/roma_scenario.py --seed S --profile P.json -o DIR
    python3 Tools/roma_scenario.py --seed S --stills N [--size-px 6 80] -o DIR

A scenario is a list of segments; each sets the frame rate, how many objects are in view,
their sizes and speeds, and the CPU share a competing process takes (`cpu_load`, for the
evaluator; it does not change the pixels). Frames are grayscale uint8, written as one
`frames.npy` [N, H, W]; `ground_truth.json` holds, per frame, its timestamp, segment and
the boxes of every object in view (x0, y0, x1, y1 in pixels, exclusive ends, object id).

Pictures (all from one numpy Generator seeded with --seed, so a seed and a profile give
the same bytes on every machine):
  * background: static per scenario -- smooth value noise at three scales, plus clutter
    (random lines, rectangle outlines and small blobs at low contrast) so flat regions are
    rare and a detector cannot key on "anything that is not flat";
  * objects: scikit-learn's 8x8 digit glyphs scaled up, or shapes (disc, square, triangle,
    ring, cross), drawn brighter or darker than the background with random contrast;
  * motion: every object keeps a velocity whose magnitude is drawn from the segment's
    speed range; objects leave the frame and new ones enter from the borders (or appear
    inside, for speed 0) to keep the count inside the segment's range;
  * per-frame sensor noise (Gaussian, sigma 3 grey levels).

Ground truth is exact: an object's box is the bounding box of the pixels its sprite
actually covers (alpha >= 0.5) at its integer position, clipped to the frame; an object
is listed only while at least 30% of its box is visible.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

DEFAULT_SIZE = 128
SHAPES = ("disc", "square", "triangle", "ring", "cross")
SEGMENT_KEYS = {"seconds", "fps", "objects", "size_px", "speed_px_per_frame", "cpu_load", "name"}
VISIBLE_FRACTION = 0.3


# ====================================================================== profile

class ProfileError(ValueError):
    pass


def _pair(seg: dict, key: str, lo: float, hi: float, integer: bool = False) -> Tuple[float, float]:
    v = seg[key]
    if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v)):
        raise ProfileError(f"segment '{key}' must be [min, max], got {v!r}")
    a, b = v
    if integer and (int(a) != a or int(b) != b):
        raise ProfileError(f"segment '{key}' must be integers, got {v!r}")
    if not (lo <= a <= b <= hi):
        raise ProfileError(f"segment '{key}' must satisfy {lo} <= min <= max <= {hi}, got {v!r}")
    return (a, b)


def load_profile(doc: dict) -> dict:
    """Validates a profile (see Formats/ROMA_SCENARIO.md) and fills the defaults."""
    if not isinstance(doc, dict) or not isinstance(doc.get("segments"), list) or not doc["segments"]:
        raise ProfileError("a profile is an object with a non-empty 'segments' list")
    width = doc.get("width", DEFAULT_SIZE)
    height = doc.get("height", DEFAULT_SIZE)
    for name, v in (("width", width), ("height", height)):
        if not isinstance(v, int) or not 16 <= v <= 1024:
            raise ProfileError(f"'{name}' must be an integer in 16...1024, got {v!r}")
    segments = []
    for i, seg in enumerate(doc["segments"]):
        if not isinstance(seg, dict):
            raise ProfileError(f"segment {i} is not an object")
        unknown = set(seg) - SEGMENT_KEYS
        if unknown:
            raise ProfileError(f"segment {i}: unknown keys {sorted(unknown)}")
        for key in ("seconds", "fps", "objects", "size_px", "speed_px_per_frame"):
            if key not in seg:
                raise ProfileError(f"segment {i}: missing '{key}'")
        seconds, fps = seg["seconds"], seg["fps"]
        if not isinstance(seconds, (int, float)) or not 0 < seconds <= 3600:
            raise ProfileError(f"segment {i}: 'seconds' must be in (0, 3600]")
        if not isinstance(fps, (int, float)) or not 1 <= fps <= 240:
            raise ProfileError(f"segment {i}: 'fps' must be in [1, 240]")
        load = seg.get("cpu_load", 0.0)
        if not isinstance(load, (int, float)) or not 0.0 <= load < 1.0:
            raise ProfileError(f"segment {i}: 'cpu_load' must be in [0, 1)")
        segments.append({
            "name": str(seg.get("name", f"segment{i}")),
            "seconds": float(seconds), "fps": float(fps),
            "objects": [int(x) for x in _pair(seg, "objects", 0, 64, integer=True)],
            "size_px": [float(x) for x in _pair(seg, "size_px", 4, min(width, height))],
            "speed_px_per_frame": [float(x) for x in _pair(seg, "speed_px_per_frame", 0, 64)],
            "cpu_load": float(load),
        })
    return {"width": width, "height": height, "segments": segments}


# ====================================================================== sprites

_DIGITS: Optional[np.ndarray] = None


def digit_glyphs() -> np.ndarray:
    """scikit-learn's 8x8 digits as float [n, 8, 8] in 0..1."""
    global _DIGITS
    if _DIGITS is None:
        from sklearn.datasets import load_digits
        _DIGITS = (load_digits().images / 16.0).astype(np.float32)
    return _DIGITS


def upscale(img: np.ndarray, size: int) -> np.ndarray:
    """Bilinear (half-pixel centres) resize of a square image to size x size."""
    n = img.shape[0]
    c = (np.arange(size) + 0.5) * n / size - 0.5
    c = np.clip(c, 0, n - 1)
    i0 = np.floor(c).astype(int)
    i1 = np.minimum(i0 + 1, n - 1)
    f = (c - i0).astype(np.float32)
    rows = img[i0] * (1 - f)[:, None] + img[i1] * f[:, None]
    return rows[:, i0] * (1 - f)[None, :] + rows[:, i1] * f[None, :]


def shape_sprite(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Anti-aliased (4x4 supersampled) alpha mask of a shape filling size x size."""
    ss = 4
    g = (np.arange(size * ss) + 0.5) / (size * ss) * 2 - 1          # -1..1
    y, x = np.meshgrid(g, g, indexing="ij")
    if kind == "disc":
        m = x * x + y * y <= 0.95
    elif kind == "square":
        m = (np.abs(x) <= 0.9) & (np.abs(y) <= 0.9)
    elif kind == "triangle":
        m = (y <= 0.9) & (y >= -0.9 + 1.8 * np.abs(x) * 1.0)
    elif kind == "ring":
        r = x * x + y * y
        m = (r <= 0.95) & (r >= 0.35)
    else:  # cross
        w = 0.3
        m = ((np.abs(x) <= w) | (np.abs(y) <= w)) & (np.abs(x) <= 0.95) & (np.abs(y) <= 0.95)
    return m.reshape(size, ss, size, ss).mean(axis=(1, 3)).astype(np.float32)


def make_sprite(size: int, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        glyphs = digit_glyphs()
        g = glyphs[rng.integers(len(glyphs))]
        a = upscale(g, size)
        return np.clip((a - 0.25) * 2.0, 0.0, 1.0)
    return shape_sprite(SHAPES[rng.integers(len(SHAPES))], size, rng)


# ====================================================================== background

def value_noise(h: int, w: int, cell: int, rng: np.random.Generator) -> np.ndarray:
    gh, gw = h // cell + 2, w // cell + 2
    grid = rng.random((gh, gw)).astype(np.float32)
    yy = np.arange(h) / cell
    xx = np.arange(w) / cell
    y0, x0 = yy.astype(int), xx.astype(int)
    fy = (yy - y0)[:, None]
    fx = (xx - x0)[None, :]
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)   # smoothstep
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Grey levels 0..255 as float32."""
    bg = (0.5 * value_noise(h, w, 32, rng) + 0.3 * value_noise(h, w, 12, rng)
          + 0.2 * value_noise(h, w, 4, rng))
    bg = 60 + 120 * bg
    # clutter: thin lines, rectangle outlines, small faint blobs
    for _ in range(int(rng.integers(6, 14))):
        kind = rng.integers(3)
        tone = float(rng.uniform(-35, 35))
        if kind == 0:
            x0, y0, x1, y1 = rng.uniform(0, max(h, w), 4)
            n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
            xs = np.clip(np.linspace(x0, x1, n).astype(int), 0, w - 1)
            ys = np.clip(np.linspace(y0, y1, n).astype(int), 0, h - 1)
            bg[ys, xs] += tone
        elif kind == 1:
            x0, y0 = int(rng.integers(0, w - 4)), int(rng.integers(0, h - 4))
            x1, y1 = min(w - 1, x0 + int(rng.integers(4, w // 2))), min(h - 1, y0 + int(rng.integers(4, h // 2)))
            bg[y0, x0:x1] += tone
            bg[y1, x0:x1] += tone
            bg[y0:y1, x0] += tone
            bg[y0:y1, x1] += tone
        else:
            s = int(rng.integers(3, 7))
            x0, y0 = int(rng.integers(0, w - s)), int(rng.integers(0, h - s))
            bg[y0:y0 + s, x0:x0 + s] += 0.5 * tone * shape_sprite("disc", s, rng)
    return bg.astype(np.float32)


# ====================================================================== objects and frames

class Obj:
    __slots__ = ("oid", "x", "y", "vx", "vy", "sprite", "tone", "size")

    def __init__(self, oid, x, y, vx, vy, sprite, tone):
        self.oid, self.x, self.y, self.vx, self.vy = oid, x, y, vx, vy
        self.sprite, self.tone, self.size = sprite, tone, sprite.shape[0]


def spawn(oid: int, seg: dict, w: int, h: int, rng: np.random.Generator, inside: bool) -> Obj:
    lo, hi = seg["size_px"]
    size = int(round(float(np.exp(rng.uniform(np.log(lo), np.log(hi))))))   # log-uniform
    size = max(4, min(size, min(w, h)))
    sprite = make_sprite(size, rng)
    tone = float(rng.choice([-1.0, 1.0]) * rng.uniform(50, 110))
    speed = float(rng.uniform(*seg["speed_px_per_frame"]))
    if inside or speed == 0:
        x, y = rng.uniform(0, w - size), rng.uniform(0, h - size)
        ang = rng.uniform(0, 2 * np.pi)
    else:
        # enter from a random border, heading inwards (within +-60 degrees of the normal)
        side = int(rng.integers(4))
        t = rng.uniform(0, 1)
        normal = [0.0, np.pi, np.pi / 2, -np.pi / 2][side]
        ang = normal + rng.uniform(-np.pi / 3, np.pi / 3)
        if side == 0:
            x, y = -size * 0.6, t * (h - size)
        elif side == 1:
            x, y = w - size * 0.4, t * (h - size)
        elif side == 2:
            x, y = t * (w - size), -size * 0.6
        else:
            x, y = t * (w - size), h - size * 0.4
    return Obj(oid, float(x), float(y), speed * float(np.cos(ang)), speed * float(np.sin(ang)), sprite, tone)


def visible_box(o: Obj, w: int, h: int) -> Optional[List[int]]:
    ix, iy = int(round(o.x)), int(round(o.y))
    ys, xs = np.nonzero(o.sprite >= 0.5)
    if len(xs) == 0:
        return None
    bx0, bx1 = ix + int(xs.min()), ix + int(xs.max()) + 1
    by0, by1 = iy + int(ys.min()), iy + int(ys.max()) + 1
    cx0, cy0, cx1, cy1 = max(0, bx0), max(0, by0), min(w, bx1), min(h, by1)
    if cx1 - cx0 < 2 or cy1 - cy0 < 2:
        return None
    if (cx1 - cx0) * (cy1 - cy0) < VISIBLE_FRACTION * (bx1 - bx0) * (by1 - by0):
        return None
    return [cx0, cy0, cx1, cy1]


def draw(frame: np.ndarray, o: Obj) -> None:
    h, w = frame.shape
    ix, iy = int(round(o.x)), int(round(o.y))
    s = o.size
    x0, y0, x1, y1 = max(0, ix), max(0, iy), min(w, ix + s), min(h, iy + s)
    if x1 <= x0 or y1 <= y0:
        return
    a = o.sprite[y0 - iy:y1 - iy, x0 - ix:x1 - ix]
    frame[y0:y1, x0:x1] += a * o.tone


def to_uint8(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = frame + rng.normal(0, 3.0, frame.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def render(profile: dict, seed: int, progress: bool = False):
    """Returns (frames uint8 [N,H,W], ground truth dict)."""
    rng = np.random.default_rng(seed)
    w, h = profile["width"], profile["height"]
    bg = background(h, w, rng)
    objs: List[Obj] = []
    next_id = 0
    frames, gt_frames, seg_info = [], [], []
    t = 0.0
    for si, seg in enumerate(profile["segments"]):
        n_frames = max(1, int(round(seg["seconds"] * seg["fps"])))
        dt = 1.0 / seg["fps"]
        lo, hi = seg["objects"]
        target = int(rng.integers(lo, hi + 1))
        first = len(frames)
        # objects from the previous segment keep their looks but take this segment's speed
        for o in objs:
            sp = float(rng.uniform(*seg["speed_px_per_frame"]))
            ang = rng.uniform(0, 2 * np.pi)
            o.vx, o.vy = sp * float(np.cos(ang)), sp * float(np.sin(ang))
        for k in range(n_frames):
            if k % max(1, int(seg["fps"])) == 0 and k > 0:     # the wanted count drifts once a second
                target = int(np.clip(target + rng.integers(-1, 2), lo, hi))
            objs = [o for o in objs if -o.size <= o.x <= w and -o.size <= o.y <= h]
            # too many (a new segment wants fewer): the oldest ones vanish
            while len(objs) > hi:
                objs.pop(0)
            first_frame = len(frames) == 0
            while len(objs) < target:
                objs.append(spawn(next_id, seg, w, h, rng, inside=first_frame or k == 0))
                next_id += 1
            frame = bg.copy()
            boxes = []
            for o in objs:
                draw(frame, o)
                b = visible_box(o, w, h)
                if b is not None:
                    boxes.append(b + [o.oid])
            frames.append(to_uint8(frame, rng))
            gt_frames.append({"t": round(t, 6), "segment": si, "boxes": boxes})
            for o in objs:
                o.x += o.vx
                o.y += o.vy
            t += dt
        seg_info.append(dict(seg, first_frame=first, frame_count=n_frames))
        if progress:
            print(f"  segment {si} '{seg['name']}': {n_frames} frames", file=sys.stderr, flush=True)
    gt = {"format": "roma-scenario", "version": 1, "seed": seed, "width": w, "height": h,
          "segments": seg_info, "frames": gt_frames}
    return np.stack(frames), gt


def render_stills(n: int, seed: int, size: int = DEFAULT_SIZE, size_px=(6.0, 80.0),
                  objects=(1, 6)) -> Tuple[np.ndarray, List[List[List[int]]]]:
    """n independent frames (new background each) with objects placed anywhere, partly
    outside the border too: training and profiling material. Returns (uint8 [n,H,W], boxes)."""
    rng = np.random.default_rng(seed)
    seg = {"size_px": list(size_px), "speed_px_per_frame": [0.0, 0.0]}
    frames, all_boxes = [], []
    for _ in range(n):
        bg = background(size, size, rng)
        boxes = []
        for oid in range(int(rng.integers(objects[0], objects[1] + 1))):
            o = spawn(oid, seg, size, size, rng, inside=True)
            # a quarter of the objects straddle the border
            if rng.random() < 0.25:
                o.x += rng.uniform(-0.5, 0.5) * o.size
                o.y += rng.uniform(-0.5, 0.5) * o.size
            draw(bg, o)
            b = visible_box(o, size, size)
            if b is not None:
                boxes.append(b + [oid])
        frames.append(to_uint8(bg, rng))
        all_boxes.append(boxes)
    return np.stack(frames), all_boxes


def write(out: Path, frames: np.ndarray, gt: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "frames.npy", frames)
    (out / "ground_truth.json").write_text(json.dumps(gt, separators=(",", ":")) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Profile format: Formats/ROMA_SCENARIO.md")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--profile", type=Path, help="scenario profile (JSON)")
    ap.add_argument("--stills", type=int, help="render N independent still frames instead")
    ap.add_argument("--size-px", type=float, nargs=2, default=[6.0, 80.0], help="object sizes for --stills")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args()
    if (args.profile is None) == (args.stills is None):
        ap.error("give exactly one of --profile or --stills")
    try:
        if args.profile is not None:
            try:
                doc = json.loads(args.profile.read_text())
            except OSError as e:
                print(f"roma_scenario: cannot read {args.profile}: {e.strerror}", file=sys.stderr)
                return 3
            except json.JSONDecodeError as e:
                print(f"roma_scenario: {args.profile} is not JSON: {e}", file=sys.stderr)
                return 4
            profile = load_profile(doc)
            frames, gt = render(profile, args.seed, progress=True)
        else:
            if args.stills <= 0:
                ap.error("--stills must be positive")
            frames, boxes = render_stills(args.stills, args.seed, size_px=tuple(args.size_px))
            gt = {"format": "roma-scenario", "version": 1, "seed": args.seed,
                  "width": DEFAULT_SIZE, "height": DEFAULT_SIZE,
                  "segments": [{"name": "stills", "seconds": float(args.stills), "fps": 1.0,
                                "objects": [1, 6], "size_px": list(args.size_px),
                                "speed_px_per_frame": [0.0, 0.0], "cpu_load": 0.0,
                                "first_frame": 0, "frame_count": args.stills}],
                  "frames": [{"t": float(i), "segment": 0, "boxes": b} for i, b in enumerate(boxes)]}
    except ProfileError as e:
        print(f"roma_scenario: bad profile: {e}", file=sys.stderr)
        return 2
    write(args.output, frames, gt)
    n_boxes = sum(len(f["boxes"]) for f in gt["frames"])
    print(f"wrote {len(frames)} frames ({frames.nbytes / 1024:.0f} KiB) and {n_boxes} boxes to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
