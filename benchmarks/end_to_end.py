"""End-to-end time of ``ptce-flows run`` and ``ptce-flows report`` on a generated territory.

    python benchmarks/end_to_end.py                      # 1,000 sources, 1 year; best of 5 runs, 1 report
    python benchmarks/end_to_end.py --repeat 3 --report-repeat 0 --out /tmp/e2e.json
    python benchmarks/end_to_end.py --code /tmp/old-checkout --label before   # time another checkout

Every figure is the whole command as a user runs it: a fresh ``python -m ptce_flows.cli``
process (interpreter start-up, imports, loading and checking the file, simulation, writing
every result file), timed from outside, with the project's modules compiled once beforehand as
Python does on a user's machine (``--no-bytecode``: compiled from source at every import, as
in a sandbox with ``PYTHONDONTWRITEBYTECODE=1``, about 0.1 to 0.2 s more). For each command it records the wall time and the
CPU time (user + system, of the child process) of every repeat, and the best of each: on a
machine shared with other work the wall time grows with the load, the CPU time much less (the
1-minute load average is recorded around each command). Cases:

- ``run``: ``ptce-flows run TERRITORY.yaml --quiet`` (the default, aggregated timeseries.csv);
- ``run --detail``: the same with every source's daily series (skipped if the code has no
  ``--detail``);
- ``report``: ``ptce-flows report`` of the results of ``run`` (every figure, PDF and HTML, one
  language);
- ``phases``: one more run in-process, timed phase by phase (imports, load and validate, run
  = compile + simulate + summarise, write the results folder, as ``ptce-flows run`` does it:
  with the scenario's files prepared by a child while the simulation runs), wall and CPU time
  (the CPU time of this process: not its children's).

The territory is ``ptce_flows.bench.territory.territory_yaml(N, seed=0)`` (N = 1,000 sources,
5 platforms, 200 farms, 50 trucks, one year: the 1,000-source year of ``benchmarks/run.py``).
Results go to ``benchmarks/results_end_to_end.json`` (``--out``), written whole or not at all.
See docs/performance.md, "End to end".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"run": 1.5, "report": 30.0}

PHASES = r"""
import json, sys, time
w0, c0 = time.perf_counter(), time.process_time()
marks = []
def mark(name):
    marks.append((name, time.perf_counter(), time.process_time()))
from ptce_flows.experiment import run_scenario
from ptce_flows.reports import run_output
from ptce_flows.scenario import load_scenario
mark("imports")
loaded = load_scenario(sys.argv[1], check_variants=True)
mark("load")
# as `ptce-flows run` does: the scenario's files prepared on the other core (code that has it)
prepared = {"prepared": run_output.prepare_run_files(loaded)} if hasattr(run_output, "prepare_run_files") else {}
result = run_scenario(loaded)
mark("run")
run_output.write_run(result, sys.argv[2], ["ptce-flows"], **prepared)
mark("write")
out, pw, pc = {}, w0, c0
for name, w, c in marks:
    out[name] = {"wall_s": round(w - pw, 4), "cpu_s": round(c - pc, 4)}
    pw, pc = w, c
print(json.dumps(out))
"""


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def _timed(cmd: list[str], env: dict, cwd: Path) -> dict:
    """Run ``cmd``; its wall time, CPU time (user + system of the child) and exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = _load()
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return {"wall_s": round(wall, 4), "cpu_s": round(cpu, 4), "load_before": load, "load_after": _load(),
            "stdout": done.stdout}


def _case(cmd: list[str], repeat: int, env: dict, cwd: Path) -> dict:
    times = [_timed(cmd, env, cwd) for _ in range(repeat)]
    for t in times:
        t.pop("stdout")
    return {"command": cmd[2:], "repeats": times, "best_wall_s": min(t["wall_s"] for t in times),
            "best_cpu_s": min(t["cpu_s"] for t in times)}


def _has_detail(env: dict, cwd: Path) -> bool:
    done = subprocess.run([sys.executable, "-m", "ptce_flows.cli", "run", "--help"], env=env, cwd=cwd,
                          capture_output=True, text=True)
    return "--detail" in done.stdout


def _git(code: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def measure(args) -> dict:
    code = Path(args.code).resolve() if args.code else ROOT
    env = dict(os.environ, PYTHONPATH=str(code), PYTHONHASHSEED="0")
    if args.no_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for cache in (code / "ptce_flows").rglob("__pycache__"):   # else Python still reads them
            shutil.rmtree(cache, ignore_errors=True)
    else:
        # as on a user's machine, where Python keeps the compiled modules (__pycache__, git-ignored;
        # pip compiles installed packages): compiled once here, so no repeat pays for it
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "ptce_flows")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    py = [sys.executable, "-m", "ptce_flows.cli"]
    with tempfile.TemporaryDirectory(prefix="ptce-e2e-") as tmp:
        tmp = Path(tmp)
        scenario = tmp / f"territory_{args.sources}.yaml"
        subprocess.run([sys.executable, "-c", "import sys; from ptce_flows.bench.territory import territory_yaml; "
                        f"open(sys.argv[1], 'w').write(territory_yaml({args.sources}, seed=0))", str(scenario)],
                       env=env, cwd=tmp, check=True)
        cases = {"startup": _case([*py, "--version"], args.repeat, env, tmp),
                 "run": _case([*py, "run", str(scenario), "--out", str(tmp / "out"), "--quiet"],
                              args.repeat, env, tmp)}
        if _has_detail(env, tmp):
            cases["run --detail"] = _case([*py, "run", str(scenario), "--out", str(tmp / "out-detail"),
                                           "--quiet", "--detail"], args.repeat, env, tmp)
        if args.report_repeat:
            cases["report"] = _case([*py, "report", str(tmp / "out"), "--quiet"], args.report_repeat, env, tmp)
        sizes = {p.name: p.stat().st_size for p in sorted((tmp / "out").iterdir()) if p.is_file()}
        rows = sum(1 for _ in (tmp / "out" / "timeseries.csv").open()) - 1
        phases = _timed([sys.executable, "-c", PHASES, str(scenario), str(tmp / "out-phases")], env, tmp)
    return {
        "label": args.label, "code": str(code), "git": _git(code), "sources": args.sources,
        "bytecode": "none (PYTHONDONTWRITEBYTECODE=1)" if args.no_bytecode else "compiled (__pycache__)",
        "python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
        "targets_s": TARGETS, "cases": cases, "phases": json.loads(phases["stdout"]),
        "timeseries_rows": rows, "file_bytes": sizes,
    }


def _table(res: dict) -> str:
    lines = [f"{res['label']} ({res['git']}), {res['sources']} sources, 1 year, bytecode "
             f"{res.get('bytecode', '?')}; timeseries.csv "
             f"{res['timeseries_rows']:,} rows, {res['file_bytes'].get('timeseries.csv', 0) / 1e6:.1f} MB",
             f"{'case':<14}{'best wall s':>12}{'best cpu s':>12}{'load':>8}  target"]
    for name, case in res["cases"].items():
        load = max(r["load_before"] for r in case["repeats"])
        target = TARGETS.get(name.split()[0]) if name != "run --detail" else None
        verdict = "" if target is None else f"{target:.1f} s " + ("met" if case["best_wall_s"] <= target else "NOT MET")
        lines.append(f"{name:<14}{case['best_wall_s']:>12.3f}{case['best_cpu_s']:>12.3f}{load:>8.2f}  {verdict}")
    lines.append("phases (one run, in-process): " + ", ".join(
        f"{k} {v['wall_s']:.3f} s (cpu {v['cpu_s']:.3f})" for k, v in res["phases"].items()))
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", type=int, default=1000, help="sources of the territory (default 1000)")
    p.add_argument("--repeat", type=int, default=5, help="repeats of each run command (default 5; best kept)")
    p.add_argument("--report-repeat", type=int, default=1, help="repeats of the report (default 1; 0: none)")
    p.add_argument("--code", metavar="DIR", help="the checkout to time (default: this one)")
    p.add_argument("--no-bytecode", action="store_true",
                   help="compile the project's modules from source at every import (PYTHONDONTWRITEBYTECODE=1), "
                        "as in a sandbox that forbids __pycache__; default: compiled once, as Python does")
    p.add_argument("--label", default="current", help="name of this measurement in the file")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results_end_to_end.json"),
                   help="JSON file the figures are added to, under --label")
    args = p.parse_args(argv)
    res = measure(args)
    print(_table(res))
    out = Path(args.out)
    try:
        doc = json.loads(out.read_text()) if out.exists() else {}
    except ValueError:
        doc = {}
    doc[args.label] = res
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
