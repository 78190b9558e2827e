"""Small helpers the Tools/ scripts share (standard library only)."""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent


def seed_of(*parts: str) -> int:
    """A stable seed from names ("group/case/run"): the same fixtures on every machine."""
    return zlib.crc32("/".join(parts).encode()) & 0x7FFFFFFF


def find_edgec(explicit: Optional[str], allow_debug: bool = True) -> Optional[Path]:
    """The edgec to run: `explicit` if given, else a release build, else (unless the caller
    measures speed) a debug build; None when there is none."""
    if explicit:
        return Path(explicit)
    candidates = [ROOT / ".build" / "release" / "edgec", ROOT / ".build-pb" / "release" / "edgec"]
    if allow_debug:
        candidates.append(ROOT / ".build" / "debug" / "edgec")
    for p in candidates:
        if p.exists():
            return p
    return None
