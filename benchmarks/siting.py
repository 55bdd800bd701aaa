"""Site search speed (issue #14): the static model per layout, and the exact solver.

- static model: one layout of the 1,000-source benchmark territory (``bench.territory``, 10
  platforms of which 5 are candidates), timed over many random layouts (aim: < 5 ms);
- solver: an OR-Library-like random p-median of 100 nodes x 100 candidates (aim: < 5 s), and,
  with ``--large``, 800 x 800 with p = 5 and 10 (aim: proven optimum < 5 minutes on 2 cores).

Usage (from the repository root):

    .venv/bin/python benchmarks/siting.py              # static model + 100 x 100
    .venv/bin/python benchmarks/siting.py --large      # also 800 x 800, p = 5 and 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from ptce_flows.bench.territory import territory
from ptce_flows.scenario.loader import load_dict
from ptce_flows.sim.world import build_world
from ptce_flows.siting.problem import LocationProblem
from ptce_flows.siting.solver import solve
from ptce_flows.siting.static import StaticModel


def static_per_layout(n_sources: int = 1000, n_layouts: int = 200) -> dict:
    data = territory(n_sources=n_sources, n_treatment=10)
    platforms = [s for s, v in data["sites"].items() if v["kind"] == "treatment"]
    for sid in platforms[5:]:
        data["sites"][sid]["candidate"] = True
    loaded = load_dict(data, "bench.yaml")
    design = type(loaded)(**{**loaded.__dict__, "spec": loaded.design})
    model = StaticModel(build_world(design), design.spec)
    rng = np.random.default_rng(0)
    masks = rng.random((n_layouts, model.n_treat)) < 0.6
    masks[:, 0] = True
    model.evaluate(masks[0])
    per = np.inf
    for _ in range(5):  # the best of 5 passes: the least disturbed by other work on the machine
        t0 = time.perf_counter()
        for m in masks:
            model.evaluate(m)
        per = min(per, (time.perf_counter() - t0) / n_layouts)
    return {"sources": n_sources, "supply_entries": int(model.gen.shape[1]), "treatment_sites": model.n_treat,
            "ms_per_layout": round(per * 1000, 3)}


def random_pmedian(n: int, p: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    edges = 4 * n
    i, j = rng.integers(0, n, edges), rng.integers(0, n, edges)
    ring = np.arange(n)
    g = csr_matrix((np.r_[rng.integers(1, 100, edges), np.full(n, 100)],
                    (np.r_[i, ring], np.r_[j, (ring + 1) % n])), shape=(n, n))
    dist = shortest_path(g, directed=False)
    prob = LocationProblem(dist, np.ones(n), np.zeros(n), np.zeros(n, bool))
    t0 = time.perf_counter()
    best = solve(prob, sites=p)[0]
    return {"nodes": n, "p": p, "objective": best.objective, "gap": best.gap,
            "seconds": round(time.perf_counter() - t0, 3)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true", help="also 800 x 800 with p = 5 and 10")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_siting.json")))
    args = ap.parse_args(argv)
    out = {"static_model": static_per_layout(), "solver": [random_pmedian(100, 5), random_pmedian(100, 10)]}
    if args.large:
        out["solver"] += [random_pmedian(800, 5), random_pmedian(800, 10)]
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    json.dump(out, sys.stdout, indent=2)
    print()
    return out


if __name__ == "__main__":
    main()
