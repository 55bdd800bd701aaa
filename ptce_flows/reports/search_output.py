"""The files of a site search (``ptce-flows optimise``), written together and atomically.

``layouts.json``: ``{"objective", "kpi", "unit", "base": {...}, "layouts": [{"rank", "name",
"open", "opened", "objective", "gap", "static": {kpi: value}, "simulated": {kpi: {mean,
ci95_low, ci95_high}}, "versus_base": {mean, ci95_low, ci95_high, significant}, "flag"}]}``;
``layouts.csv`` one row per layout; ``variants.yaml`` the scenario with the layouts as variants;
``figures/layouts.png|svg`` the top layouts side by side; ``manifest.json``.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path

from ptce_flows import __version__
from ptce_flows.experiment.optimise import SIM_KPIS, Proposal, Search, variants_data
from ptce_flows.reports.files import atomic_dir, write_csv, write_json, write_yaml

DIGITS = 6


def _r(x):
    return None if x is None or not math.isfinite(float(x)) else round(float(x), DIGITS)


def _stat(s: dict | None) -> dict | None:
    if not s or s.get("n", 0) == 0:
        return None
    return {"mean": s["mean"], "ci95_low": s["low"], "ci95_high": s["high"], "n": s["n"]}


def layout_doc(p: Proposal) -> dict:
    doc = {"rank": p.rank, "name": p.name, "open": list(p.open), "opened": list(p.opened),
           "objective": _r(p.objective), "gap": _r(p.gap),
           "static": {k: _r(v) for k, v in p.static.items()}}
    doc["simulated"] = {k: _stat(p.simulated.get(k)) for k in SIM_KPIS} if p.simulated else {}
    if p.versus_base is not None:
        doc["versus_base"] = {**(_stat(p.versus_base) or {}), "significant": p.versus_base.get("significant")}
    doc["flag"] = p.flag
    return doc


def search_doc(s: Search) -> dict:
    base = layout_doc(s.base)
    base.pop("rank")
    return {"objective": s.request.objective, "kpi": s.kpi, "unit": s.unit,
            "replications": s.replications, "seed": s.seed, "solve_seconds": _r(s.solve_seconds),
            "base": base, "layouts": [layout_doc(p) for p in s.proposals]}


def layout_rows(s: Search) -> list[dict]:
    rows = []
    for p in [s.base, *s.proposals]:
        d = layout_doc(p)
        row = {"rank": d.get("rank") or "", "name": p.name, "open": " ".join(p.open),
               "opened": " ".join(p.opened), "objective": d["objective"], "gap": d["gap"],
               f"static_{s.kpi}": d["static"].get(s.kpi)}
        for k in SIM_KPIS:
            st = d["simulated"].get(k) if d["simulated"] else None
            row[f"{k}_mean"] = st["mean"] if st else None
            row[f"{k}_ci95_low"] = st["ci95_low"] if st else None
            row[f"{k}_ci95_high"] = st["ci95_high"] if st else None
        vb = d.get("versus_base") or {}
        row["diff_vs_base_mean"], row["diff_vs_base_ci95_low"], row["diff_vs_base_ci95_high"] = (
            vb.get("mean"), vb.get("ci95_low"), vb.get("ci95_high"))
        row["flag"] = p.flag or ""
        rows.append({k: "" if v is None else v for k, v in row.items()})
    return rows


def _places(s: Search) -> dict:
    spec = s.base.loaded.design
    gen = s.raw.get("generated_by_source", {})
    return {sid: {"kind": site.kind, "lat": site.location[0], "lon": site.location[1],
                  "candidate": sid in s.base.loaded.candidates, "t": gen.get(sid, 0.0)}
            for sid, site in spec.sites.items()
            if site.kind in ("source", "treatment") or (site.kind == "transfer" and sid in s.base.loaded.candidates)}


def write_search(s: Search, out_dir: str | Path, command: list[str], lang: str = "en",
                 figures: bool = True) -> Path:
    """Every file of the search into ``out_dir`` (replacing it atomically)."""
    doc = search_doc(s)
    with atomic_dir(out_dir) as tmp:
        write_json(tmp / "layouts.json", doc)
        write_csv(tmp / "layouts.csv", layout_rows(s))
        write_yaml(tmp / "variants.yaml", variants_data(s),
                   header=f"# {s.base.loaded.file} with the layouts of `ptce-flows optimise` as variants "
                          f"(objective {s.request.objective}): run one with `ptce-flows run variants.yaml "
                          "--variant layout_1`, all with `ptce-flows compare variants.yaml`\n")
        write_json(tmp / "manifest.json", {
            "package": "ptce-flows", "version": __version__, "kind": "optimise",
            "files": [{"file": s.base.loaded.file, "sha256": s.base.loaded.sha256}],
            "variant": s.request.variant, "objective": s.request.objective, "seed": s.seed,
            "replications": s.replications, "command_line": command,
            "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")})
        if figures and s.proposals:
            from ptce_flows.plotting.layouts import save_figure
            from ptce_flows.plotting.siting import layouts_figure

            (tmp / "figures").mkdir()
            shown = [{"rank": p.rank, "open": [*p.open, *p.opened], "objective": p.static.get(s.kpi),
                      "simulated": (p.simulated.get(s.kpi) or {}).get("mean")} for p in s.proposals]
            save_figure(layouts_figure(_places(s), shown, s.kpi, s.unit, lang), tmp / "figures" / "layouts")
    return Path(out_dir)
