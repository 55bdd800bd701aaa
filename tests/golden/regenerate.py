"""Regenerate the golden summaries of the shipped scenarios (tests/golden/<stem>.json).

    .venv/bin/python tests/golden/regenerate.py                  # every scenarios/*.yaml
    .venv/bin/python tests/golden/regenerate.py organic_vallee   # only these stems

Each file holds, for the base layout and every variant of one scenario, the seeded summary of
one replication over the scenario's own horizon (after its own warm-up), with the scenario's
own seed: the KPIs, products, transport by fleet, jobs and the stocks at both ends of the
reported period, exactly as ``ptce-flows run`` publishes them in summary.json. ``tests/test_scenarios.py`` recomputes them and compares with a
relative tolerance of 1e-9, so any change of behaviour shows up. Regenerate only when a change
of figures is intended, and say why in the commit message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
GOLDEN = Path(__file__).resolve().parent
COMMAND = ".venv/bin/python tests/golden/regenerate.py"
#: the parts of summary.json that are compared (``start_stock_t`` only with a warm-up)
PARTS = ("kpis", "products_t", "by_fleet", "jobs", "end_stock_t", "start_stock_t", "ghg_t_co2e", "costs_eur")

if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))


def scenario_files() -> list[Path]:
    """Every shipped scenario, in a stable order."""
    return sorted(SCENARIOS.glob("*.yaml"))


def golden_path(scenario: Path) -> Path:
    return GOLDEN / f"{scenario.stem}.json"


def variant_names(scenario: Path) -> list[str | None]:
    """None (the base layout) followed by the scenario's variants, in file order."""
    from ptce_flows.scenario import load_with_variants

    return [loaded.variant for loaded in load_with_variants(scenario)]


def run_layout(scenario: Path, variant: str | None) -> tuple[dict, list[dict]]:
    """One seeded run of a layout: the compared parts of its summary (as ``ptce-flows run``
    writes them in summary.json) and its flow rows (as in flows.csv)."""
    from ptce_flows.experiment import run_scenario
    from ptce_flows.metrics.aggregate import flow_rows, summary_dict
    from ptce_flows.scenario import load_scenario

    loaded = load_scenario(scenario, variant=variant)
    result = run_scenario(loaded)
    summary = summary_dict(loaded.spec.name, result.world, result.seed, result.runs, variant, spec=loaded.spec)
    out = {"scenario": summary["scenario"], "variant": variant, "horizon_days": summary["horizon_days"],
           "warmup_days": summary["warmup_days"], "seed": summary["seed"]}
    out.update({part: summary[part] for part in PARTS if part in summary})
    return out, flow_rows(result.runs)


def compute(scenario: Path) -> dict:
    """The golden document of one scenario file."""
    return {
        "regenerate_with": COMMAND,
        "file": f"scenarios/{scenario.name}",
        "layouts": {variant or "base": run_layout(scenario, variant)[0] for variant in variant_names(scenario)},
    }


def main(argv: list[str]) -> int:
    wanted = set(argv)
    files = [f for f in scenario_files() if not wanted or f.stem in wanted]
    unknown = wanted - {f.stem for f in files}
    if unknown:
        print(f"no scenario named {', '.join(sorted(unknown))} in {SCENARIOS}", file=sys.stderr)
        return 2
    for scenario in files:
        path = golden_path(scenario)
        document = compute(scenario)
        path.write_text(json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({len(document['layouts'])} layouts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
