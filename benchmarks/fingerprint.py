"""Bit-for-bit fingerprints of simulation results, to prove an optimisation changed nothing.

    python benchmarks/fingerprint.py --save /tmp/before.json     # before a change
    python benchmarks/fingerprint.py --check /tmp/before.json    # after it: exit 1 on any difference

For a fixed set of cases (the shipped scenarios, the minimal loop with variability,
disruptions, a depot and a road graph, generated benchmark territories, several seeds), it
hashes every array of the raw ``Records`` (shipments, arrivals, daily levels, end state) and
the published tables (summary, flows, time series). ``events`` (the SimPy event count) is
reported apart: it describes the computation, not the results.

Scenario files are read from the working tree; use ``--copy-files DIR`` at ``--save`` time to
freeze copies, so that edits by others to those files do not show up as differences.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ptce_flows.bench.territory import territory  # noqa: E402
from ptce_flows.metrics.aggregate import flow_rows, summary_dict, timeseries_rows  # noqa: E402
from ptce_flows.metrics.kpis import summarise  # noqa: E402
from ptce_flows.scenario import load_dict, load_scenario  # noqa: E402
from ptce_flows.sim.model import simulate  # noqa: E402
from ptce_flows.sim.world import build_world  # noqa: E402

FILES = ["scenarios/minimal_loop.yaml", "scenarios/organic_vallee.yaml", "tests/data/report_rich.yaml"]


def _minimal(files: Path) -> dict:
    return yaml.safe_load((files / "minimal_loop.yaml").read_text())


def cases(files: Path):
    """(name, loaded scenario, seeds, horizon or None)."""
    for name in ("minimal_loop", "organic_vallee", "report_rich"):
        path = files / f"{name}.yaml"
        if path.exists():
            yield name, load_scenario(path), [1, 2], None
    base = _minimal(files)
    for dist in ("gamma", "lognormal", "normal"):
        d = copy.deepcopy(base)
        d["sites"]["town"]["supply"]["biowaste"]["variability"] = {"distribution": dist, "cv": 0.4}
        d["sites"]["town"]["collection"] = {"every_days": 2}
        yield f"minimal_{dist}", load_dict(d), [1, 2, 3], None
    d = copy.deepcopy(base)
    d["sites"]["town"]["supply"]["biowaste"]["variability"] = {"cv": 0.3}
    d["disruptions"] = [
        {"kind": "outage", "site": "platform", "start_day": 100, "days": 14},
        {"kind": "fleet_unavailable", "fleet": "collection", "share": 0.5, "start_day": 200, "days": 10},
        {"kind": "breakdowns", "fleet": "collection", "per_vehicle_per_year": 6, "repair_days": 2},
    ]
    yield "minimal_disrupted", load_dict(d), [1, 2], None
    d = copy.deepcopy(base)
    d["nodes"] = {"garage": [43.50, 1.60]}
    d["roads"] += [["garage", "town", 15], ["garage", "platform", 25], ["garage", "farm", 30]]
    d["fleets"]["collection"]["depot"] = "garage"
    d["fleets"]["spreading"]["depot"] = "garage"
    d["sites"]["town"]["collection"] = {"every_days": 3, "full_loads_only": True}
    d["sites"]["platform"]["capacity_t_per_day"] = 6
    d["sites"]["platform"]["reception_days"] = 0
    yield "minimal_depot_tight", load_dict(d), [1], 800
    for n, seed, var in ((250, 0, True), (250, 1, True), (250, 0, False), (1000, 0, True)):
        yield f"territory_{n}_{seed}_{'var' if var else 'flat'}", load_dict(
            territory(n, seed=seed, variability=var)), [seed, seed + 1], None
    yield "territory_250_2y", load_dict(territory(250, seed=3, years=2)), [3], None


def _h(obj) -> str:
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj).tobytes() + str(obj.dtype).encode() + str(obj.shape).encode()
    else:
        data = json.dumps(obj, sort_keys=True, default=str).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def fingerprint(files: Path) -> dict:
    out = {}
    for name, loaded, seeds, horizon in cases(files):
        world = build_world(loaded, horizon_days=horizon)
        runs = []
        for seed in seeds:
            ss = np.random.SeedSequence(seed).spawn(1)[0]
            rec = simulate(world, ss)
            runs.append(summarise(world, rec))
            key = f"{name}/seed{seed}"
            out[key] = {
                "shipments": {k: _h(v) for k, v in rec.shipments.items()},
                "arrived": _h(rec.arrived),
                "levels": _h(rec.levels),
                "end": {k: _h(v) for k, v in rec.end.as_dict().items()},
                "series": _h([rec.series.site, rec.series.material, rec.series.quantity, rec.series.flow]),
                "events": rec.events,
                "trips": int(len(rec.shipments["mass_t"])),
            }
        out[f"{name}/published"] = {
            "summary": _h(summary_dict(loaded.spec.name, world, seeds[0], runs)),
            "flows": _h(flow_rows(runs)),
            "timeseries": _h(timeseries_rows(world, runs)),
        }
    return out


def _diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            yield from _diff(a.get(k), b.get(k), f"{path}/{k}")
    elif a != b:
        yield path, a, b


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", metavar="FILE")
    g.add_argument("--check", metavar="FILE")
    p.add_argument("--copy-files", metavar="DIR", help="freeze copies of the scenario files here (with --save)")
    p.add_argument("--files", metavar="DIR", help="read scenario files from DIR (default: frozen copies or the tree)")
    args = p.parse_args(argv)
    saved = json.loads(Path(args.check).read_text()) if args.check else None
    files = Path(args.files) if args.files else Path(saved["_files"]) if saved else None
    if args.copy_files:
        files = Path(args.copy_files)
        files.mkdir(parents=True, exist_ok=True)
        for f in FILES:
            if (ROOT / f).exists():
                shutil.copy(ROOT / f, files / Path(f).name)
    if files is None:
        files = ROOT / "scenarios"
    now = fingerprint(files)
    now["_files"] = str(files)
    if args.save:
        Path(args.save).write_text(json.dumps(now, indent=1, sort_keys=True))
        print(f"saved {len(now) - 1} fingerprints to {args.save}")
        return 0
    diffs = [(k, a, b) for k, a, b in _diff(saved, now) if not k.endswith("/events")]
    events = [(k, a, b) for k, a, b in _diff(saved, now) if k.endswith("/events")]
    for k, a, b in events:
        print(f"events (not a result) {k}: {a} -> {b}")
    for k, a, b in diffs:
        print(f"DIFFERENT {k}: {a} -> {b}")
    print("identical" if not diffs else f"{len(diffs)} difference(s)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
