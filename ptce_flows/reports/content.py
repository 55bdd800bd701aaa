"""What the PDF and HTML reports say, computed once for both: the run's particulars, the
figures with their titles and captions, the assumptions with their sources, the references."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ptce_flows.i18n import fmt_date, fmt_number, fmt_qty, tr
from ptce_flows.plotting import figures as report_figures
from ptce_flows.reports.assumptions import (Assumption, Reference, assumptions_of, localized_comment,
                                            localized_notes, localized_reference, references)
from ptce_flows.results.resultset import ResultSet


@dataclass(frozen=True)
class FigureText:
    name: str
    title: str
    caption: str


@dataclass
class ReportContent:
    lang: str
    title: str
    description: str
    meta: list[tuple[str, str]]
    ci_note: str
    products: list[tuple[str, str]]
    figures: list[FigureText]
    from_comments: bool
    notes: list[str]
    assumptions: list[Assumption]
    references: list[Reference]
    footer: str


def figure_texts(results: ResultSet, lang: str) -> list[FigureText]:
    """The figures this run has something to show in, in report order."""
    return [FigureText(name, tr(f"title.{name}", lang), tr(f"caption.{name}", lang))
            for name in report_figures.FIGURES if report_figures.available(name, results)]


def report_content(results: ResultSet, lang: str) -> ReportContent:
    summary, manifest = results.summary, results.manifest
    meta = []
    if manifest.get("scenario_file"):
        meta.append((tr("report.scenario_file", lang), str(manifest["scenario_file"])))
    if summary.get("variant"):
        meta.append((tr("report.variant", lang), results.variant_label))
    overrides = manifest.get("overrides") or {}
    if overrides:
        meta.append((tr("report.overrides", lang), ", ".join(f"{k} = {v}" for k, v in overrides.items())))
    meta.append((tr("report.horizon", lang), tr("report.days", lang, n=fmt_number(results.horizon_days, lang, 0))))
    if summary.get("warmup_days"):
        meta.append((tr("report.warmup", lang),
                     tr("report.warmup_days", lang, n=fmt_number(summary["warmup_days"], lang, 0))))
    meta.append((tr("report.seed", lang), str(summary.get("seed", manifest.get("seed", "")))))
    meta.append((tr("report.replications", lang), str(results.replications)))
    reps = results.replications
    ci_note = tr("report.ci_note", lang, n=reps) if reps > 1 else tr("report.single_run", lang)
    products = [(results.material_label(m), fmt_qty(v, "t", lang, 0))
                for m, v in (summary.get("products_t") or {}).items()]
    from_comments, notes, rows = assumptions_of(results.source_text, results.scenario)
    refs = references(results.scenario)
    by_id = {ref.id: ref for ref in refs}
    rows = [replace(a, comment=localized_comment(a, lang, by_id)) for a in rows]
    version = manifest.get("version", "")
    date = manifest.get("finished_at", "")
    footer = tr("report.generated", lang, version=version, date=fmt_date(date, lang)) if date else \
        f"ptce-flows {version}"
    return ReportContent(
        lang=lang, title=results.title, description=results.description,
        meta=meta, ci_note=ci_note, products=products, figures=figure_texts(results, lang),
        from_comments=from_comments, notes=localized_notes(notes, lang), assumptions=rows,
        references=[localized_reference(r, lang) for r in refs], footer=footer)


def reference_text(ref: Reference) -> str:
    """``Publisher (year). Title. URL. Note.``"""
    head = ref.publisher + (f" ({ref.year})" if ref.year else "")
    parts = [head] + [p for p in (ref.title, ref.url, ref.note) if p]
    return ". ".join(p.rstrip(".") for p in parts) + "."
