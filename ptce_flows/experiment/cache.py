"""Finished runs on disk, keyed by the resolved scenario and the seed, so that work survives.

A run is fully determined by (resolved scenario, code of the model, replication seed), so its
record can be reused by any later command that asks for the same thing: rerunning a comparison
after Ctrl-C or a crash, adding replications (replication ``i`` does not depend on their
number), or a sweep that passes through a layout already compared.

- ``scenario_key(loaded)`` is the sha256 of the resolved scenario (every default filled in, as
  written to ``scenario.resolved.yaml``) together with a fingerprint of the code that computes
  a run (the scenario, network, sim and metrics packages, ``experiment/records.py``, ``units.py``) and
  the numpy, SimPy and SciPy versions: changing any of them invalidates old records instead of
  silently reusing them.
- ``RunCache(root)`` stores one JSON file per run and record kind,
  ``ROOT/<key>/<entropy>_<replication>[.<kind>].json`` (see ``experiment.records``), written to
  a temporary file and renamed, so a crash never leaves half a record. Floats round-trip
  exactly through JSON, so tables built from stored records are identical to tables built from
  fresh ones.
- Reading never trusts the file: it must be a regular file (a FIFO, a device or a link is not
  opened for reading: ``O_NONBLOCK | O_NOFOLLOW``, then ``fstat``), no larger than the kind's
  limit, valid JSON of bounded depth, for this key and seed, and pass the kind's checks
  (schema and mass balance). Anything else counts as missing and is recomputed.

The folder may be deleted at any time; the only cost is recomputation.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ptce_flows.experiment.records import COMPACT, RecordKind
from ptce_flows.scenario.loader import LoadedScenario, resolved_dict

PKG = Path(__file__).resolve().parent.parent

#: code whose change can change a run's record
FINGERPRINT_PATHS = ("scenario", "network", "sim", "metrics", "experiment/records.py", "units.py")

README = """Finished runs of `ptce-flows run`, `compare` and `sweep`, one JSON file per run,
keyed by the resolved scenario's hash (folder) and the replication seed (file). Rerunning a
command reuses them instead of recomputing. Safe to delete at any time.
"""


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of the sources that determine a run's result, plus the numpy, SimPy, SciPy and
    highspy versions (highspy's HiGHS solves the delivery plans, ``sim.allocation``)."""
    import highspy
    import scipy
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
    digest.update(f"numpy {np.__version__} simpy {simpy.__version__} scipy {scipy.__version__} "
                  f"HiGHS {highspy.Highs().version()}".encode())
    return digest.hexdigest()


def scenario_key(loaded: LoadedScenario) -> str:
    """The cache key of a scenario as it would run (variant and overrides applied)."""
    content = {"scenario": resolved_dict(loaded), "code": code_fingerprint()}
    files = [[role, sha] for role, _name, _path, sha in loaded.inputs if role.startswith("network.")]
    if files:  # the distances and road graph files read, by content (tables are in the scenario)
        content["files"] = files
    payload = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def default_cache_dir(out_dir: str | Path) -> Path:
    """``<parent>/.<name>.runs``: beside the results folder, so its atomic replacement keeps it."""
    out_dir = Path(out_dir)
    if out_dir.name in ("", ".", ".."):
        out_dir = out_dir.resolve()
    return out_dir.parent / f".{out_dir.name}.runs"


def seed_id(seed: np.random.SeedSequence) -> str:
    """``"<entropy>_<spawn key>"``: replication i of seed s is ``s_i``."""
    spawn = ".".join(str(k) for k in seed.spawn_key)
    return f"{seed.entropy}_{spawn}" if spawn else f"{seed.entropy}"


class RunCache:
    """One JSON record per (scenario key, seed, record kind) under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str, seed: np.random.SeedSequence, kind: RecordKind = COMPACT) -> Path:
        suffix = f".{kind.name}" if kind.name else ""
        return self.root / key / f"{seed_id(seed)}{suffix}.json"

    def get(self, key: str, seed: np.random.SeedSequence, kind: RecordKind = COMPACT) -> Any | None:
        """The stored result, checked; None when absent, unreadable, invalid or not for this
        key and seed (the caller then recomputes it)."""
        text = read_limited(self.path(key, seed, kind), kind.max_bytes)
        if text is None:
            return None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("key") != key or data.get("seed") != seed_id(seed):
                return None
            return kind.decode(data.get("record"))
        except (ValueError, TypeError, RecursionError):
            return None

    def put(self, key: str, seed: np.random.SeedSequence, result: Any, kind: RecordKind = COMPACT) -> Path | None:
        """Store ``result`` atomically (temporary file, then rename); None when it cannot be
        stored (a value JSON cannot hold, a full disk): the run is kept, only not cached."""
        path = self.path(key, seed, kind)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readme = self.root / "README.txt"
            if not readme.exists():
                _write_atomic(readme, README)
            text = json.dumps({"key": key, "seed": seed_id(seed), "record": kind.encode(result)},
                              ensure_ascii=False, allow_nan=False)
            _write_atomic(path, text)
        except (OSError, ValueError, TypeError):
            return None
        return path

    def describe(self, key: str, info: dict[str, Any]) -> None:
        """Write ``<key>/layout.json`` (what the key stands for), once, for people browsing."""
        path = self.root / key / "layout.json"
        if path.exists() or path.is_symlink():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, json.dumps(info, indent=2, ensure_ascii=False, default=str) + "\n")

    def count(self, key: str, kind: RecordKind = COMPACT) -> int:
        """Number of runs of ``kind`` stored for ``key``."""
        folder = self.root / key
        if not folder.is_dir():
            return 0
        pattern = f"*.{kind.name}.json" if kind.name else "*.json"
        return sum(1 for p in folder.glob(pattern) if p.name != "layout.json"
                   and (kind.name or p.name.count(".") == 1))


def read_limited(path: Path, max_bytes: int) -> str | None:
    """The text of ``path`` if it is a regular file of at most ``max_bytes``; else None.

    Never blocks and never follows a link: a FIFO or a device in place of a record is opened
    with ``O_NONBLOCK`` and refused after ``fstat``; a symbolic link is refused by ``O_NOFOLLOW``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            return None
        return b"".join(chunks).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(fd)


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
