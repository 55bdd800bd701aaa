"""Bit-for-bit fingerprints of what users get: every shipped scenario and every variant, run
through the real command line, its published files hashed.

    python benchmarks/fingerprint_outputs.py --save /tmp/out_before.json   # before a refactor
    python benchmarks/fingerprint_outputs.py --check /tmp/out_before.json  # after: exit 1 on any difference

Unlike ``fingerprint.py`` (which hashes the raw records through the internal API), this one
only uses ``ptce-flows run``, so it survives any reorganisation of the code: a refactor that
changes no number leaves every hash here unchanged. ``manifest.json`` is left out (it holds the
wall time and the command line).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.yaml")) + [
    "tests/data/report_rich.yaml"
]
PUBLISHED = ("summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml")


def _variants(path: Path) -> list[str | None]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [None, *sorted((data.get("variants") or {}).keys())]


def _run(path: str, variant: str | None, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "ptce_flows.cli", "run", path, "--out", str(out), "--quiet", *extra]
        if variant:
            cmd += ["--variant", variant]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            return {"exit": done.returncode, "stderr": done.stderr[-500:]}
        res = {}
        for name in PUBLISHED:
            f = out / name
            res[name] = hashlib.sha256(f.read_bytes()).hexdigest()[:16] if f.exists() else None
        return res


def fingerprint() -> dict:
    out = {}
    for f in FILES:
        for v in _variants(ROOT / f):
            key = f"{f}:{v or 'base'}"
            out[key] = _run(f, v, [])
            print(key, file=sys.stderr)
        out[f"{f}:base:reps3"] = _run(f, None, ["--replications", "3", "--seed", "7"])
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", metavar="FILE")
    g.add_argument("--check", metavar="FILE")
    args = p.parse_args(argv)
    now = fingerprint()
    if args.save:
        Path(args.save).write_text(json.dumps(now, indent=1, sort_keys=True))
        print(f"saved {len(now)} fingerprints to {args.save}")
        return 0
    saved = json.loads(Path(args.check).read_text())
    diffs = [k for k in sorted(set(saved) | set(now)) if saved.get(k) != now.get(k)]
    for k in diffs:
        print(f"DIFFERENT {k}: {saved.get(k)} -> {now.get(k)}")
    print("identical" if not diffs else f"{len(diffs)} difference(s)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
