"""Finished runs on disk, keyed by the resolved scenario and the seed, so that work survives.

A run is fully determined by (resolved scenario, code of the model, replication seed), so its
record can be reused by any later command that asks for the same thing: rerunning a comparison
after Ctrl-C or a crash, adding replications (replication ``i`` does not depend on their
number), or a sweep that passes through a layout already compared.

- ``scenario_key(loaded)`` is the sha256 of the resolved scenario (every default filled in, as
  written to ``scenario.resolved.yaml``) together with a fingerprint of the code that computes
  a run (the scenario, network, sim and metrics packages, ``experiment.py``, ``units.py``) and
  the numpy and SimPy versions: changing any of them invalidates old records instead of
  silently reusing them.
- ``RunCache(root)`` stores one JSON file per run, ``ROOT/<key>/<entropy>_<replication>.json``,
  written to a temporary file and renamed, so a crash never leaves half a record; an unreadable
  or mismatched file counts as missing and is recomputed. Floats round-trip exactly through
  JSON, so tables built from stored records are identical to tables built from fresh ones.

The folder may be deleted at any time; the only cost is recomputation.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ptce_flows.scenario.loader import LoadedScenario, resolved_dict

PKG = Path(__file__).resolve().parent

#: code whose change can change a run's record
FINGERPRINT_PATHS = ("scenario", "network", "sim", "metrics", "experiment.py", "units.py")

README = """Finished runs of `ptce-flows compare` and `ptce-flows sweep`, one JSON file per run,
keyed by the resolved scenario's hash (folder) and the replication seed (file). Rerunning a
command reuses them instead of recomputing. Safe to delete at any time.
"""


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of the sources that determine a run's result, plus numpy and SimPy versions."""
    import simpy

    digest = hashlib.sha256()
    files: list[Path] = []
    for name in FINGERPRINT_PATHS:
        path = PKG / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for path in files:
        digest.update(str(path.relative_to(PKG)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    digest.update(f"numpy {np.__version__} simpy {simpy.__version__}".encode())
    return digest.hexdigest()


def scenario_key(loaded: LoadedScenario) -> str:
    """The cache key of a scenario as it would run (variant and overrides applied)."""
    payload = json.dumps({"scenario": resolved_dict(loaded), "code": code_fingerprint()},
                         ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def seed_id(seed: np.random.SeedSequence) -> str:
    """``"<entropy>_<spawn key>"``: replication i of seed s is ``s_i``."""
    spawn = ".".join(str(k) for k in seed.spawn_key)
    return f"{seed.entropy}_{spawn}" if spawn else f"{seed.entropy}"


class RunCache:
    """One JSON record per (scenario key, seed) under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str, seed: np.random.SeedSequence) -> Path:
        return self.root / key / f"{seed_id(seed)}.json"

    def get(self, key: str, seed: np.random.SeedSequence) -> dict | None:
        """The stored record, or None when absent, unreadable or not for this key and seed."""
        path = self.path(key, seed)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key or data.get("seed") != seed_id(seed):
            return None
        record = data.get("record")
        return record if isinstance(record, dict) else None

    def put(self, key: str, seed: np.random.SeedSequence, record: dict) -> Path:
        """Store ``record`` atomically (temporary file, then rename)."""
        path = self.path(key, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        readme = self.root / "README.txt"
        if not readme.exists():
            _write_atomic(readme, README)
        text = json.dumps({"key": key, "seed": seed_id(seed), "record": record},
                          ensure_ascii=False, allow_nan=False)
        _write_atomic(path, text)
        return path

    def describe(self, key: str, info: dict[str, Any]) -> None:
        """Write ``<key>/layout.json`` (what the key stands for), once, for people browsing."""
        path = self.root / key / "layout.json"
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, json.dumps(info, indent=2, ensure_ascii=False, default=str) + "\n")

    def count(self, key: str) -> int:
        """Number of runs stored for ``key``."""
        folder = self.root / key
        return sum(1 for p in folder.glob("*.json") if p.name != "layout.json") if folder.is_dir() else 0


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
