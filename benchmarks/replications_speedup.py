"""Speed-up of replications on 2 workers against 1 (issue #5; aim: at least 1.8x on 2 cores).

Runs the same 8 replications of a shipped scenario through the executor that ``compare`` and
``sweep`` use (``ptce_flows.experiment.execution.execute``, no run cache), once with 1 worker (in this
process) and once with 2 worker processes, ``--repeat`` times each, alternating, and keeps the
best time of each (the least disturbed by other work on the machine). The records of both
must be identical (same seeds, same results), which the script checks. With ``--dask``, it
also times a ``distributed.LocalCluster`` of 2 single-threaded worker processes against 1.

The default scenario is ``scenarios/organic_vallee.yaml`` over three years (about 0.5 s per
replication on one core of the 2-core test machine), heavy enough that starting the workers
is a small share. Other work on the machine distorts the figure: the 1-minute load average
before and after is recorded with it; measure on an otherwise idle machine.

Usage (from the repository root):

    .venv/bin/python benchmarks/replications_speedup.py            # writes benchmarks/results_speedup.json
    .venv/bin/python benchmarks/replications_speedup.py --dask --repeat 5

``main(argv)`` returns the figures as a dict, for a general benchmark runner to call.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ptce_flows import __version__  # noqa: E402
from ptce_flows.experiment import replication_seeds  # noqa: E402
from ptce_flows.experiment.cache import scenario_key  # noqa: E402
from ptce_flows.experiment.execution import Task, execute  # noqa: E402
from ptce_flows.experiment.records import COMPACT  # noqa: E402
from ptce_flows.scenario import load_scenario  # noqa: E402
from ptce_flows.sim.world import build_world  # noqa: E402

AIM = 1.8


def _time(tasks, worlds, **backend) -> tuple[float, dict]:
    started = time.perf_counter()
    done = execute(tasks, COMPACT, worlds, **backend)
    elapsed = time.perf_counter() - started
    if done.failures:
        raise RuntimeError(f"failed runs: {[f.format() for f in done.failures]}")
    results = {ident: record["kpis"] for ident, record in done.results.items()}
    return elapsed, results


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _stats(times: list[float]) -> dict:
    return {"best_s": round(min(times), 4), "all_s": [round(t, 4) for t in times]}


def measure(file: str, days: int | None, replications: int, repeat: int, dask: bool) -> dict:
    overrides = {"horizon_days": days} if days else None
    loaded = load_scenario(file, overrides=overrides)
    world = build_world(loaded)
    key = scenario_key(loaded)
    seeds = replication_seeds(loaded.spec.seed, replications)
    tasks = [Task(key, "base", i, s) for i, s in enumerate(seeds)]
    worlds = {key: lambda: world}

    load_before = _load()
    single, double, reference = [], [], None
    for _ in range(repeat):
        for jobs, bucket in ((1, single), (2, double)):
            elapsed, results = _time(tasks, worlds, jobs=jobs)
            bucket.append(elapsed)
            if reference is None:
                reference = results
            elif results != reference:
                raise RuntimeError(f"results differ with {jobs} worker(s)")
    out = {
        "benchmark": "replications_speedup",
        "scenario": file,
        "horizon_days": world.horizon_days,
        "replications": replications,
        "repeat": repeat,
        "per_replication_s": round(min(single) / replications, 4),
        "one_worker": _stats(single),
        "two_workers": _stats(double),
        "speedup": round(min(single) / min(double), 3),
        "aim": AIM,
        "identical_results": True,
        # other work on the machine steals cores from the 2-worker runs: judge the figure by it
        "load_average_1min": {"before": load_before, "after": _load()},
    }
    out["meets_aim"] = out["speedup"] >= AIM
    if dask:
        out["dask"] = _measure_dask(tasks, worlds, repeat, reference)
    return out


def _measure_dask(tasks, worlds, repeat: int, reference: dict) -> dict:
    import distributed

    times: dict[int, list[float]] = {1: [], 2: []}
    for n in (1, 2):
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=40) as cluster:
            for _ in range(repeat):
                elapsed, results = _time(tasks, worlds, scheduler=cluster.scheduler_address)
                if results != reference:
                    raise RuntimeError(f"Dask results differ with {n} worker(s)")
                times[n].append(elapsed)
    return {"one_worker": _stats(times[1]), "two_workers": _stats(times[2]),
            "speedup": round(min(times[1]) / min(times[2]), 3),
            "note": "LocalCluster of single-threaded worker processes; includes scattering the world"}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "organic_vallee.yaml"))
    parser.add_argument("--days", type=int, default=1095, help="horizon in days (default 1095; 0: the file's)")
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster (1 vs 2 workers)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_speedup.json"),
                        help="where to write the figures ('-' for stdout only)")
    args = parser.parse_args(argv)
    scenario = os.path.relpath(args.scenario, ROOT) if Path(args.scenario).is_absolute() else args.scenario
    figures = measure(scenario if Path(scenario).exists() else args.scenario, args.days or None,
                      args.replications, args.repeat, args.dask)
    figures["machine"] = {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                          "python": sys.version.split()[0], "ptce_flows": __version__}
    figures["measured_at"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    figures["command"] = ["python", "benchmarks/replications_speedup.py", *(argv if argv is not None else sys.argv[1:])]
    text = json.dumps(figures, indent=2) + "\n"
    if args.out != "-":
        Path(args.out).write_text(text)
    print(text, end="")
    return figures


if __name__ == "__main__":
    main()
