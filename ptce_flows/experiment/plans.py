"""Plans of runs with common random numbers: compare layouts, sweep parameter grids.

A *layout* is one scenario as it would run: a file's base scenario, one of its variants, or a
point of a parameter grid. A *plan* is a list of layouts, a baseline among them, a seed and a
number of replications. Running a plan runs replication ``i`` of every layout with the same
seed ``replication_seeds(seed, n)[i]`` (common random numbers), through ``execution.execute``
(local processes or Dask, stored runs reused), then compares the layouts with paired
differences (``metrics.differences``). Grids arrive parsed (``[(path, [values])]``): reading
``--param`` text is the command line's job.

Names of layouts: with one file, ``base`` and the variant names; with several files, the file
stem and ``stem:variant``; in a sweep, ``capacity_t_per_day=40`` (the last key of each
parameter path, or the whole path when two parameters end alike).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from ptce_flows.errors import Problem, ScenarioError, UsageError
from ptce_flows.experiment.cache import RunCache, default_cache_dir, scenario_key
from ptce_flows.experiment.execution import Execution, Failure, Progress, Task, execute
from ptce_flows.experiment.records import COMPACT, RecordKind
from ptce_flows.experiment.run import layout_info, replication_seeds
from ptce_flows.metrics.accounting import BalanceFactors, balance_factors, replication_balance
from ptce_flows.metrics.differences import RANK_KPIS, compare_layouts, rank, with_derived
from ptce_flows.scenario.loader import LoadedScenario, load_document
from ptce_flows.scenario.yamlio import parse_yaml, read_text
from ptce_flows.sim.world import build_world

__all__ = ["Comparison", "Layout", "MAX_POINTS", "Plan", "PlanError", "default_cache_dir",
           "default_out_dir", "format_value", "plan_compare", "plan_sweep", "run_layouts", "run_plan"]

#: refuse grids larger than this (a typo such as 0:1000:0.1 would mean hours of runs)
MAX_POINTS = 10_000


class PlanError(UsageError):
    """A plan cannot be made from what was asked; ``option`` names the request
    (``baseline``, ``variants``, ``rank_by``, ``grid``) so that a front end can name its flag."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Layout:
    """One scenario as it will run, with its name in every table."""

    name: str
    loaded: LoadedScenario
    key: str
    description: str | dict = ""   # a text, or one per language {en: ..., fr: ...}
    params: tuple[tuple[str, Any], ...] = ()
    label: str | dict | None = None   # the variant's (or the scenario's) label; None: the name


@dataclass
class Plan:
    """What to run: layouts (baseline among them), seed, replications, ranking KPI."""

    kind: str                      # "compare" or "sweep"
    stem: str                      # for the default results folder
    files: list[str]
    layouts: list[Layout]
    baseline: str
    seed: int
    replications: int
    rank_by: str
    params: list[str] = field(default_factory=list)   # sweep parameter paths, in grid order
    notes: list[str] = field(default_factory=list)    # things the user should be told

    @property
    def runs(self) -> int:
        return len(self.layouts) * self.replications

    def layout(self, name: str) -> Layout:
        return next(layout for layout in self.layouts if layout.name == name)


@dataclass
class Comparison:
    """A plan after running: per-replication KPIs, statistics, ranking, failures."""

    plan: Plan
    execution: Execution
    runs: dict[str, dict[int, dict[str, float]]]
    table: dict
    ranking: list[dict]

    @property
    def failures(self) -> list[Failure]:
        return self.execution.failures


# --------------------------------------------------------------------------- building plans

def check_rank_by(kpi: str) -> str:
    if kpi not in RANK_KPIS:
        raise PlanError("rank_by", f"unknown KPI '{kpi}' (one of: {', '.join(RANK_KPIS)})")
    return kpi


def _load(doc, file: str, variant: str | None, overrides: dict | None, tag: str) -> LoadedScenario:
    try:
        return load_document(doc, file, variant, overrides or None)
    except ScenarioError as exc:
        raise ScenarioError([Problem(p.file, p.line, p.path, f"{tag}: {p.message}", p.allowed)
                             if tag else p for p in exc.problems]) from None


def _layouts_of_file(file: str, wanted: Callable[[str], bool], name_of: Callable[[str | None], str],
                     overrides: dict | None) -> tuple[list[Layout], list[str]]:
    """Base and variants of ``file`` whose names ``wanted`` accepts; every problem at once."""
    doc = parse_yaml(read_text(file), file)
    raw = doc.data if isinstance(doc.data, dict) else {}
    variants = raw.get("variants") if isinstance(raw.get("variants"), dict) else {}
    layouts, problems, available = [], [], [name_of(None)]
    for variant in [None, *variants]:
        name = name_of(variant)
        if variant is not None:
            available.append(name)
        if not wanted(name):
            continue
        try:
            loaded = _load(doc, file, variant, overrides, f"with variant '{variant}'" if variant else "")
        except ScenarioError as exc:
            problems += [p for p in exc.problems if p not in problems]
            continue
        info = variants.get(variant) if variant else None
        description = (info.get("description") if isinstance(info, dict) else None) or (
            loaded.spec.description if variant is None else "")
        label = info.get("label") if isinstance(info, dict) else None
        layouts.append(Layout(name, loaded, scenario_key(loaded), description or "", label=label))
    if problems:
        raise ScenarioError(problems)
    return layouts, available


def plan_compare(
    files: list[str],
    variants: str = "all",
    baseline: str | None = None,
    seed: int | None = None,
    replications: int = 1,
    rank_by: str = "diverted_t",
    overrides: dict[str, Any] | None = None,
) -> Plan:
    """Layouts of ``files`` (each base scenario and, with ``variants="all"``, every variant).

    Args:
        files: scenario files; their base scenarios and variants are the layouts.
        variants: ``"all"`` or comma-separated layout names (``base`` is the base scenario).
        baseline: the layout the others are compared with (default: the first layout).
        seed: the seed of every layout (default: the first file's ``seed``).
        overrides: ``--param`` values applied to every layout.
    """
    check_rank_by(rank_by)
    stems = [Path(f).stem for f in files]
    duplicate = sorted({s for s in stems if stems.count(s) > 1})
    if duplicate:
        raise UsageError(f"several files are named '{duplicate[0]}': layouts are named after "
                         "file names, so give each file a different name")
    selected = None if variants.strip() == "all" else [v.strip() for v in variants.split(",") if v.strip()]
    if selected is not None and not selected:
        raise PlanError("variants", "give 'all' or layout names separated by commas")
    keep = set(selected or []) | ({baseline} if baseline else set())

    def wanted(name: str) -> bool:
        return selected is None or name in keep

    layouts: list[Layout] = []
    available: list[str] = []
    problems: list[Problem] = []
    for file, stem in zip(files, stems, strict=True):
        if len(files) == 1:
            def name_of(v, _stem=stem):
                return "base" if v is None else v
        else:
            def name_of(v, _stem=stem):
                return _stem if v is None else f"{_stem}:{v}"
        try:
            mine, names = _layouts_of_file(str(file), wanted, name_of, overrides)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        layouts += mine
        available += names
    if problems:
        raise ScenarioError(problems)
    unknown = [n for n in sorted(keep) if n not in available]
    if unknown:
        what = "baseline" if unknown == [baseline] else "variants"
        raise PlanError(what, f"no layout named {', '.join(repr(n) for n in unknown)} "
                        f"(layouts: {', '.join(available)})")
    if selected is not None:  # keep the user's order, the baseline first when it was added
        order = ([baseline] if baseline and baseline not in selected else []) + selected
        layouts.sort(key=lambda lay: order.index(lay.name))
    notes = []
    base = baseline or layouts[0].name
    if baseline is None:
        notes.append(f"baseline: '{base}' (the first layout; choose another with --baseline NAME)")
    seed = layouts[0].loaded.spec.seed if seed is None else seed
    stem = stems[0] if len(files) == 1 else "-".join(stems[:3])
    return Plan("compare", stem, [str(f) for f in files], layouts, base, seed, replications, rank_by,
                notes=notes)


def format_value(value: Any) -> str:
    """A short, stable text for a parameter value (used in layout names)."""
    if isinstance(value, bool) or value is None:
        return yaml.safe_dump(value).splitlines()[0]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}" if abs(value) >= 1e-4 or value == 0 else repr(value)
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()


def plan_sweep(
    file: str,
    grid: Sequence[tuple[str, list[Any]]],
    baseline: str | None = None,
    seed: int | None = None,
    replications: int = 1,
    rank_by: str = "diverted_t",
    variant: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Plan:
    """A full grid over ``grid`` (``[(key path, [values])]``) applied to ``file``.

    The baseline is the first grid point unless ``baseline`` names a point (``40`` is enough
    with one parameter) or is ``base``: the scenario without the sweep's changes, then added
    as a layout of its own.
    """
    check_rank_by(rank_by)
    if not grid or any(not values for _, values in grid):
        raise PlanError("grid", "give at least one parameter with at least one value")
    paths = [path for path, _ in grid]
    if len(set(paths)) != len(paths):
        raise PlanError("grid", "the same parameter path is given twice")
    total = math.prod(len(values) for _, values in grid)
    if total > MAX_POINTS:
        raise PlanError("grid", f"the grid has {total} points, more than {MAX_POINTS}")
    leaves = [path.split(".")[-1] for path in paths]
    short = [leaf if leaves.count(leaf) == 1 else path for leaf, path in zip(leaves, paths, strict=True)]
    doc = parse_yaml(read_text(file), file)
    points: list[tuple[tuple[str, Any], ...]] = [()]
    for path, values in grid:
        points = [point + ((path, value),) for point in points for value in values]
    layouts: list[Layout] = []
    problems: list[Problem] = []
    for point in points:
        name = ",".join(f"{s}={format_value(v)}" for s, (_, v) in zip(short, point, strict=True))
        changes = {**(overrides or {}), **dict(point)}
        try:
            loaded = _load(doc, file, variant, changes, f"with {name}")
        except ScenarioError as exc:
            problems += [p for p in exc.problems if p not in problems]
            continue
        layouts.append(Layout(name, loaded, scenario_key(loaded), params=point))
    if problems:
        raise ScenarioError(problems[:50])
    notes = []
    if baseline is None:
        base = layouts[0].name
        notes.append(f"baseline: '{base}' (the first grid point; choose another with --baseline NAME, "
                     "or --baseline base for the scenario without the sweep's changes)")
    elif baseline == "base":
        loaded = _load(doc, file, variant, overrides, "")
        layouts.insert(0, Layout("base", loaded, scenario_key(loaded), loaded.spec.description))
        base = "base"
    else:
        names = [layout.name for layout in layouts]
        candidates = [baseline, f"{short[0]}={baseline}"] if len(short) == 1 else [baseline]
        base = next((c for c in candidates if c in names), None)
        if base is None:
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            raise PlanError("baseline", f"no grid point named '{baseline}' (points: {shown}; or 'base')")
    stem = Path(file).stem + (f"-{variant}" if variant else "")
    seed = layouts[0].loaded.spec.seed if seed is None else seed
    return Plan("sweep", stem, [str(file)], layouts, base, seed, replications, rank_by, params=paths,
                notes=notes)


# --------------------------------------------------------------------------- running plans

def default_out_dir(plan: Plan) -> Path:
    return Path("results") / f"{plan.stem}-{plan.kind}"


def run_layouts(
    layouts: Sequence[Layout],
    seed: int,
    replications: int,
    kind: RecordKind = COMPACT,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_result: Callable[[Task, Any], None] | None = None,
) -> Execution:
    """Replications ``0..n-1`` of every layout, with common random numbers, through ``execute``.

    The building block of every plan (comparisons and sweeps here; site search and
    sensitivity analyses build their layouts and call it the same way). Results are keyed by
    ``(layout.key, replication)``; layouts that resolve to the same scenario run once.
    """
    seeds = replication_seeds(seed, replications)
    cache = RunCache(cache_dir) if cache_dir is not None else None
    tasks, worlds = [], {}
    for layout in layouts:
        worlds[layout.key] = partial(build_world, layout.loaded)
        tasks += [Task(layout.key, layout.name, i, s) for i, s in enumerate(seeds)]
        if cache is not None:
            cache.describe(layout.key, layout_info(layout.loaded))
    return execute(tasks, kind, worlds, jobs=jobs, scheduler=scheduler, cache=cache,
                   progress=progress, on_result=on_result)


def run_plan(
    plan: Plan,
    jobs: int = 1,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_result: Callable[[Task, Any], None] | None = None,
) -> Comparison:
    """Run every replication of every layout (reusing stored runs) and compare them."""
    done = run_layouts(plan.layouts, plan.seed, plan.replications, COMPACT, jobs=jobs, scheduler=scheduler,
                       cache_dir=cache_dir, progress=progress, on_result=on_result)
    runs = {layout.name: layout_kpis(done, layout.key, plan.replications, balance_factors(layout.loaded.spec))
            for layout in plan.layouts}
    table = compare_layouts(runs, plan.baseline)
    return Comparison(plan, done, runs, table, rank(runs, plan.rank_by, plan.baseline))


def record_kpis(record: dict, factors: BalanceFactors) -> dict[str, float]:
    """The KPIs of one compact record, with its climate and cost balance under ``factors``."""
    return with_derived(record["kpis"], replication_balance(factors, record["quantities"])["kpis"])


def layout_kpis(done: Execution, key: str, replications: int, factors: BalanceFactors) -> dict[int, dict]:
    """Replication -> KPIs of the finished runs of scenario ``key``, the balance computed with
    ``factors`` (those of the layout itself, or, in a sensitivity run, of a factor's low or high
    value: the factors change no simulated flow, so the same records serve)."""
    return {i: record_kpis(done.results[(key, i)], factors)
            for i in range(replications) if (key, i) in done.results}
