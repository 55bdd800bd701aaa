"""Run every benchmark case, each in a fresh process, check the targets, write results.json.

``ptce-flows bench`` and ``python benchmarks/run.py`` call ``main``. The cases (see
``ptce_flows.bench.cases``) are, in one run on one machine: bare SimPy; the model on generated
territories of 250, 1,000 and 4,000 sources for a year and 1,000 sources for 10 years; the
distance matrix of 10,000- and 100,000-node road graphs (and networkx on a small case);
replications on 1 and 2 processes; and ``ptce-flows run`` of the minimal scenario end to end,
interpreter start-up included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: the targets of issue 7 (2-core machine)
TARGETS = {
    "sim_1000_1y_s": ("simulation of 1,000 sources for a year", "<=", 0.5, "s"),
    "events_ratio": ("model events/s over bare SimPy events/s", ">=", 0.5, ""),
    "ratio_4000_1000": ("time of 4,000 sources / time of 1,000", "<=", 4.5, "x"),
    "ratio_10y_1y": ("time of 10 years / time of 1 year", "<=", 11.0, "x"),
    "matrix_100k_s": ("distance matrix, 100,000 nodes x 1,000 origins", "<", 30.0, "s"),
    "peak_rss_1000_1y_mb": ("peak memory, 1,000 sources for a year", "<", 500.0, "MB"),
}


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_case(spec: dict, timeout: float = 1800) -> dict:
    """Measure one case in a fresh interpreter; returns its JSON figures."""
    proc = subprocess.run([sys.executable, "-m", "ptce_flows.bench.cases", json.dumps(spec)],
                          capture_output=True, text=True, env=_env(), timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark case {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cli_case(repeat: int = 3) -> dict:
    """``ptce-flows run scenarios/minimal_loop.yaml`` end to end, and bare import times."""
    scenario = ROOT / "scenarios" / "minimal_loop.yaml"
    out: dict = {"command": "ptce-flows run scenarios/minimal_loop.yaml --quiet --out TMP"}
    if not scenario.exists():  # an installed package without the repository's scenarios
        return {**out, "skipped": f"{scenario} not found: run from a clone of the repository"}
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "python_s": [sys.executable, "-c", "pass"],
            "import_cli_s": [sys.executable, "-c", "import ptce_flows.cli"],
            "run_s": [sys.executable, "-m", "ptce_flows.cli", "run", str(scenario), "--quiet",
                      "--out", str(Path(tmp) / "out")],
        }
        for name, cmd in commands.items():
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, env=_env(), cwd=tmp)
                times.append(time.perf_counter() - started)
            out[name] = min(times)
    return out


def replications_case(quick: bool) -> dict:
    """Issue 5's ``benchmarks/replications_speedup.py`` (the executor that ``compare`` and
    ``sweep`` use) if it is there; otherwise ``run_scenario`` with 1 and 2 processes."""
    script = ROOT / "benchmarks" / "replications_speedup.py"
    if script.exists():
        args = ["--out", "-", "--repeat", "1" if quick else "3"] + (
            ["--days", "365", "--replications", "4"] if quick else [])
        proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                              env=_env(), cwd=ROOT, timeout=1800)
        if proc.returncode == 0:
            try:
                figures = json.loads(proc.stdout)
            except json.JSONDecodeError:
                figures = None
            if figures and "speedup" in figures:
                return {"source": "benchmarks/replications_speedup.py " + " ".join(args),
                        "scenario": figures.get("scenario"), "replications": figures.get("replications"),
                        "jobs1_s": figures["one_worker"]["best_s"], "jobs2_s": figures["two_workers"]["best_s"],
                        "speedup": figures["speedup"], "same_results": figures.get("identical_results"),
                        "load_avg_1min": list((figures.get("load_average_1min") or {}).values()),
                        "raw": figures}
    return {"source": "ptce_flows.bench.cases.case_replications",
            **run_case({"case": "replications", "n_sources": 250 if quick else 1000,
                        "replications": 4 if quick else 8})}


def _machine() -> dict:
    import numpy
    import scipy
    import simpy

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=ROOT).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "simpy": simpy.__version__, "git_commit": commit}


def measure(quick: bool = False, repeat: int = 3, log=print) -> dict:
    """Every case; ``quick`` shrinks the sizes (a check of the harness, not the figures)."""
    n_big = 1000 if quick else 4000
    nodes = (2_500, 10_000) if quick else (10_000, 100_000)
    results: dict = {"machine": _machine(), "quick": quick, "repeat": repeat,
                     "date": dt.datetime.now().isoformat(timespec="seconds")}
    events = 200_000 if quick else 1_000_000
    log("bare SimPy ...")
    results["simpy"] = run_case({"case": "simpy", "events": events, "repeat": repeat})
    model = {}
    for n, years in ((250, 1), (1000, 1), (n_big, 1), (1000, 2 if quick else 10)):
        log(f"model: {n} sources, {years} year(s) ...")
        model[f"{n}x{years}y"] = run_case({"case": "model", "n_sources": n, "years": years,
                                           "repeat": repeat,
                                           "check_events": (n, years) == (1000, 1)})
    results["model"] = model
    queue = round(model["1000x1y"]["events_check"]["mean_queue"])
    log(f"bare SimPy with {queue:,} events queued, as in the model ...")
    results["simpy_queue"] = run_case({"case": "simpy", "processes": queue, "events": events,
                                       "repeat": repeat})
    network = {}
    for n in nodes:
        log(f"network: {n:,} nodes ...")
        network[str(n)] = run_case({"case": "network", "n_nodes": n, "n_origins": 1000,
                                    "networkx_origins": 50 if n == nodes[0] else 0})
    results["network"] = network
    log("replications on 1 and 2 processes ...")
    results["replications"] = replications_case(quick)
    log("ptce-flows run (end to end) ...")
    results["cli"] = cli_case(repeat)
    results["targets"] = check_targets(results, n_big, 2 if quick else 10)
    return results


def check_targets(r: dict, n_big: int, years: int) -> dict:
    m = r["model"]
    one = m["1000x1y"]["simulate_s"]["best"]
    values = {
        "sim_1000_1y_s": one,
        "events_ratio": m["1000x1y"]["events_per_s"] / r["simpy"]["events_per_s"],
        "ratio_4000_1000": m[f"{n_big}x1y"]["simulate_s"]["best"] / one,
        "ratio_10y_1y": m[f"1000x{years}y"]["simulate_s"]["best"] / one,
        "matrix_100k_s": r["network"][max(r["network"], key=int)]["matrix_s"],
        "peak_rss_1000_1y_mb": m["1000x1y"]["peak_rss_mb"],
    }
    out = {}
    for key, (label, op, limit, unit) in TARGETS.items():
        v = values[key]
        ok = {"<=": v <= limit, ">=": v >= limit, "<": v < limit}[op]
        out[key] = {"label": label, "value": v, "target": f"{op} {limit:g}{unit and ' ' + unit}", "met": ok}
    return out


def _cases(r: dict) -> list[dict]:
    found = [r["simpy"], r["simpy_queue"], *r["model"].values(), *r["network"].values()]
    return [c for c in found if "load_avg_1min" in c]


def table(r: dict) -> str:
    loads = [c["load_avg_1min"][0] for c in _cases(r)]
    lines = [f"machine: {r['machine']['cpu']} ({r['machine']['cpus']} cpus), Python {r['machine']['python']}, "
             f"SimPy {r['machine']['simpy']}{'  [QUICK: not the real figures]' if r['quick'] else ''}",
             f"load average while measuring (other work on the machine): {min(loads):.1f} to {max(loads):.1f}",
             ""]
    lines.append(f"{'case':<12}{'load':>7}{'build':>7}{'simulate':>10}{'summ.':>7}{'events':>11}"
                 f"{'events/s':>10}{'us/event':>9}{'trips':>9}{'fleet':>6}{'peak MB':>8}")
    for name, c in r["model"].items():
        best = c["simulate_s"]["best"]
        lines.append(f"{name:<12}{c['load_s']:>7.2f}{c['build_world_s']:>7.2f}{best:>10.3f}"
                     f"{c['summarise_s']:>7.2f}{c['events']:>11,}{c['events_per_s']:>10,.0f}"
                     f"{best / c['events'] * 1e6:>9.2f}{c['trips']:>9,}{c['collection_fleet_use']:>6.0%}"
                     f"{c['peak_rss_mb']:>8.0f}")
    s, sq = r["simpy"], r["simpy_queue"]
    lines.append(f"{'bare SimPy':<12}{'':>31}{s['events']:>11,}{s['events_per_s']:>10,.0f}"
                 f"{1e6 / s['events_per_s']:>9.2f}   (one process, queue of 1)")
    lines.append(f"{'bare SimPy':<12}{'':>31}{sq['events']:>11,}{sq['events_per_s']:>10,.0f}"
                 f"{1e6 / sq['events_per_s']:>9.2f}   ({sq['processes']:,} processes: the model's mean queue)")
    m = r["model"]["1000x1y"]
    lines.append(f"1,000 sources: {m['events_per_s'] / s['events_per_s']:.2f} of bare SimPy's events/s, "
                 f"{m['events_per_s'] / sq['events_per_s']:.2f} of SimPy's with the same queue; "
                 f"event count checked against SimPy's steps: {m['events_check']['ok']}")
    lines.append("")
    lines.append(f"{'road graph':<18}{'edges':>10}{'build':>8}{'matrix':>8}{'peak MB':>9}")
    for n, c in r["network"].items():
        lines.append(f"{int(n):<18,}{c['n_edges']:>10,}{c['from_places_s'] + c['csr_s']:>8.2f}"
                     f"{c['matrix_s']:>8.2f}{c['peak_rss_mb']:>9.0f}")
        if "networkx" in c:
            x = c["networkx"]
            lines.append(f"  networkx, {x['origins']} origins: {x['networkx_s']:.2f} s vs csgraph "
                         f"{x['csgraph_s']:.3f} s ({x['speedup']:.0f}x, same distances: {x['same_distances']})")
    rep = r["replications"]
    if "speedup" in rep:
        lines.append(f"\nreplications ({rep['source'].split()[0]}): {rep.get('replications', '?')} on 1 process "
                     f"{rep.get('jobs1_s', 0):.2f} s, on 2 {rep.get('jobs2_s', 0):.2f} s: speed-up "
                     f"{rep['speedup']:.2f}x, same results: {rep.get('same_results')}, load average "
                     f"{', '.join(f'{x:.1f}' for x in rep.get('load_avg_1min') or [])}")
    c = r["cli"]
    if "run_s" in c:
        lines.append(f"ptce-flows run minimal_loop: {c['run_s']:.2f} s end to end (python alone "
                     f"{c['python_s']:.2f} s, import ptce_flows.cli {c['import_cli_s']:.2f} s)")
    lines.append("")
    lines.append(f"{'target':<52}{'value':>10}  {'target':<12}")
    for t in r["targets"].values():
        lines.append(f"{t['label']:<52}{t['value']:>10.3f}  {t['target']:<12}{'met' if t['met'] else 'NOT MET'}")
    return "\n".join(lines)


#: where ``--quick`` writes by default: its sizes check the harness, not the figures, so it
#: never replaces the tracked benchmarks/results.json unless ``--out`` names it
QUICK_OUT = Path("results") / "bench-quick.json"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``ptce-flows bench`` (shared with ``python benchmarks/run.py``)."""
    p.add_argument("--out", default=None, metavar="FILE",
                   help=f"where to write the figures (default benchmarks/results.json; with --quick, {QUICK_OUT})")
    p.add_argument("--repeat", type=int, default=3, metavar="N", help="timed repeats per case, best kept (default 3)")
    p.add_argument("--quick", action="store_true", help="small sizes: checks the harness in seconds, not the figures")


def out_path(args: argparse.Namespace) -> Path:
    """The file ``args`` asks for: ``--out``, else the tracked results.json (full runs) or
    ``results/bench-quick.json`` in the current folder (quick runs)."""
    if args.out:
        return Path(args.out)
    if args.quick:
        return QUICK_OUT
    return (ROOT / "benchmarks" if (ROOT / "benchmarks").is_dir() else Path.cwd()) / "results.json"


def write_results(path: Path, results: dict) -> None:
    """Write ``results`` to ``path`` whole or not at all (a temporary file renamed into place)."""
    from ptce_flows.errors import OutputError

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() or path.is_symlink():
            raise OutputError(f"--out: '{path}' is a folder or a link: give a file name")
        tmp.write_text(json.dumps(results, indent=1) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def run(args: argparse.Namespace) -> int:
    """Measure, write the results file, print the table. Returns 0: a missed target is a finding,
    shown as NOT MET in the table and in results.json, not a failure of the command."""
    started = time.perf_counter()
    path = out_path(args)
    results = measure(args.quick, max(1, args.repeat), log=lambda msg: print(msg, file=sys.stderr))
    out = os.path.relpath(path, ROOT) if path.resolve().is_relative_to(ROOT) else str(path)
    results["command"] = f"ptce-flows bench --repeat {args.repeat} --out {out}" + (" --quick" if args.quick else "")
    results["wall_time_s"] = time.perf_counter() - started
    write_results(path, results)
    print(table(results))
    print(f"\nwritten {path} ({results['wall_time_s']:.0f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ptce-flows bench", description=(
        "Measure the simulation's speed and memory on generated territories; write results.json."))
    add_arguments(p)
    return run(p.parse_args(argv))
