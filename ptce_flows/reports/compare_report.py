"""The report of a comparison or a sweep folder (``ptce-flows report COMPARE_DIR [--lang fr]``):
``report.{lang}.pdf`` and ``report.{lang}.html`` with the layouts (labels and descriptions), their
maps side by side (compare), the key figures of every layout with their 95 % intervals, the
benefits against the baseline (paired differences), and the comparison figures.

Everything is read from ``comparison.json`` (written by ``compare`` and ``sweep``); the files are
added to the folder atomically, like a run's report (``reports.report``).
"""

from __future__ import annotations

import html
from pathlib import Path

from ptce_flows.errors import UsageError
from ptce_flows.i18n import check_lang, fmt_date, fmt_number, label_text, tr, unit_label
from ptce_flows.reports.files import atomic_dir, check_output, is_report_file, read_manifest
from ptce_flows.reports.load import _read_json

DOC = "comparison.json"
#: the key figures of the report's table, in order (those the comparison has)
TABLE_KPIS = ("diverted_t", "diversion_rate", "to_disposal_t", "delivered_t", "unmet_demand_t", "tonne_km",
              "co2_t", "jobs_fte", "insertion_fte", "ghg_net_t_co2e", "cost_net_eur")


def is_comparison(folder: str | Path) -> bool:
    """``folder`` holds the results of ``compare`` or ``sweep``."""
    return (Path(folder) / DOC).is_file() and not (Path(folder) / "summary.json").exists()


def _labels(doc: dict, lang: str) -> dict[str, str]:
    labels = {lay["name"]: label_text(lay.get("label"), lang, base_name(lay["name"], lang))
              for lay in doc["layouts"]}
    counts: dict[str, int] = {}
    for text in labels.values():
        counts[text] = counts.get(text, 0) + 1
    return {name: (text if counts[text] == 1 else name) for name, text in labels.items()}


def base_name(name: str, lang: str) -> str:
    """A layout without a label: ``base`` (the scenario without variant) by its word, else its name."""
    return tr("layout.base", lang) if name == "base" else name


def _stat(stat: dict, kpi: str, lang: str, sign: bool = False) -> str:
    k = 100.0 if kpi == "diversion_rate" else 1.0
    mean = stat.get("mean")
    if mean is None:
        return "–"

    def num(x: float) -> str:
        text = fmt_number(k * x, lang, 1 if kpi == "diversion_rate" else None)
        return ("+" + text) if sign and k * x > 0 else text

    text = num(mean)
    low, high = stat.get("low"), stat.get("high")
    if stat.get("n", 0) > 1 and low is not None and high is not None and low != high:
        text += f" [{num(low)} ; {num(high)}]" if lang == "fr" else f" [{num(low)}, {num(high)}]"
    return text


def _unit(doc: dict, kpi: str, lang: str) -> str:
    unit = doc["units"].get(kpi, "")
    return "%" if kpi == "diversion_rate" else unit_label(unit, lang)


def tables(doc: dict, lang: str) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    """``(kpi header, kpi rows, benefit header, benefit rows)``: one row per figure, one
    column per layout (benefits: every layout but the baseline)."""
    names = _labels(doc, lang)
    layouts = doc["layouts"]
    kpis = [k for k in TABLE_KPIS if k in (layouts[0]["kpis"] if layouts else {})]
    head = [tr("col.indicator", lang)] + [names[lay["name"]] for lay in layouts]
    rows = []
    for kpi in kpis:
        unit = _unit(doc, kpi, lang)
        rows.append([f"{tr('kpi.' + kpi, lang)} ({unit})" if unit else tr(f"kpi.{kpi}", lang)]
                    + [_stat(lay["kpis"][kpi], kpi, lang) for lay in layouts])
    others = [lay for lay in layouts if lay["name"] != doc["baseline"]]
    bhead = [tr("col.benefit", lang)] + [names[lay["name"]] for lay in others]
    brows = []
    for benefit, info in doc["benefits"].items():
        label = f"{tr('benefit.' + benefit, lang)} ({unit_label(info['unit'], lang)})"
        brows.append([label] + [_stat(lay["benefits"][benefit], benefit, lang, sign=True) for lay in others])
    return head, rows, bhead, brows if others else []


def text_summary(doc: dict, lang: str) -> str:
    """The key figures and the benefits as terminal tables (the report's tables, in ``lang``)."""
    head, rows, bhead, brows = tables(doc, lang)
    lines = [_intro(doc, lang), "", tr("report.kpis", lang)]
    lines += _aligned([head, *rows])
    if brows:
        lines += ["", tr("compare.benefits", lang)] + _aligned([bhead, *brows])
    lines += _abatement_lines(doc, lang)
    lines += ["", tr("compare.ci_note", lang)]
    return "\n".join(lines)


def _abatement_lines(doc: dict, lang: str) -> list[str]:
    """The abatement cost of each layout against the baseline (EUR per t CO2e avoided, Fieller)."""
    names = _labels(doc, lang)
    unit = unit_label("EUR/t CO2e", lang)
    table = [[tr("col.layout", lang), f"{tr('xlsx.abatement', lang)} ({unit})", tr("col.status", lang)]]
    for lay in doc["layouts"]:
        st = lay.get("abatement")
        if not st or st.get("status") == "baseline":
            continue
        value = "" if st["mean"] is None else fmt_number(st["mean"], lang, 0)
        if st["mean"] is not None and st.get("low") is not None and st["low"] != st.get("high"):
            value += f" [{fmt_number(st['low'], lang, 0)} ; {fmt_number(st['high'], lang, 0)}]"
        table.append([names[lay["name"]], value, tr(f"abatement.{st['status']}", lang)])
    if len(table) == 1:
        return []
    return ["", tr("abatement.method", lang)] + _aligned(table)


def _aligned(table: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
            .rstrip() for row in table]


def figure_rows(doc: dict, lang: str) -> tuple[list[dict], list[dict]]:
    """The rows ``plotting.layouts`` draws from (comparison.csv and benefits.csv), with labels."""
    names = _labels(doc, lang)
    rows, brows = [], []
    for lay in doc["layouts"]:
        params = lay.get("params") or {}
        for kpi, st in lay["kpis"].items():
            rows.append({**params, "layout": names[lay["name"]], "kpi": kpi, "unit": doc["units"][kpi],
                         "better": doc["better"].get(kpi, ""), "mean": st["mean"], "ci95_low": st["low"],
                         "ci95_high": st["high"]})
        for benefit, st in lay["benefits"].items():
            brows.append({"layout": names[lay["name"]], "benefit": benefit, "unit": doc["benefits"][benefit]["unit"],
                          "mean": st["mean"], "ci95_low": st["low"], "ci95_high": st["high"]})
    return rows, brows


def make_figures(doc: dict, lang: str, progress) -> list[tuple[str, object]]:
    """``(title, matplotlib figure)`` of the report, in order."""
    from ptce_flows.plotting.layout_maps import layout_maps_figure
    from ptce_flows.plotting.layouts import benefits_figure, comparison_figure, sweep_figure

    names = _labels(doc, lang)
    baseline = names[doc["baseline"]]
    rows, brows = figure_rows(doc, lang)
    out = []
    progress(0, "maps")
    maps = [(names[lay["name"]], lay["map"]) for lay in doc["layouts"] if lay.get("map")]
    if maps:
        out.append((tr("compare.maps", lang), layout_maps_figure(maps, lang, baseline)))
    progress(1, "comparison")
    if doc["kind"] == "sweep":
        varying = [p for p in doc.get("params", []) if len({str(r.get(p)) for r in rows}) > 1]
        out.append((tr("compare.fig_sweep", lang), sweep_figure(rows, varying, doc["rank_by"], lang)))
    else:
        out.append((tr("compare.fig_kpis", lang), comparison_figure(rows, baseline, lang=lang)))
        if len(doc["layouts"]) > 1:
            progress(2, "benefits")
            out.append((tr("compare.benefits", lang), benefits_figure(brows, baseline, lang=lang)))
    return [(title, fig) for title, fig in out if fig is not None]


def title_of(doc: dict, lang: str) -> str:
    return label_text(doc.get("scenario_label"), lang, str(doc.get("scenario") or ", ".join(doc.get("files", []))))


def render(folder: Path, doc: dict, lang: str, progress) -> dict[str, bytes]:
    from ptce_flows.plotting.style import render as render_figure
    from ptce_flows.plotting.style import render_svg_paths
    figures = make_figures(doc, lang, progress)
    manifest = read_manifest(folder) or {}
    date = manifest.get("finished_at", "")
    footer = tr("report.generated", lang, version=manifest.get("version", ""), date=fmt_date(date, lang))
    progress(3, "pdf")
    pngs = [(title, render_figure(fig, "png", dpi=200)) for title, fig in figures]
    pdf = pdf_document(doc, lang, title_of(doc, lang), tables(doc, lang), pngs, footer)
    progress(4, "html")
    svgs = [(title, render_svg_paths(fig)) for title, fig in figures]
    page = html_document(doc, lang, svgs, footer)
    progress(5, "")
    return {f"report.{lang}.pdf": pdf, f"report.{lang}.html": page.encode("utf-8")}


def pdf_document(doc: dict, lang: str, title: str, tabs, pngs: list[tuple[str, bytes]], footer: str) -> bytes:
    from ptce_flows.plotting.pages import Column, PageWriter, render_pdf, wrap_text
    from ptce_flows.plotting.style import FIG_WIDTH_IN, FONT_SIZE, style

    head, rows, bhead, brows = tabs
    with style():
        w = PageWriter(header=f"{title} · {tr('compare.title', lang)}")
        w.paragraph(tr("compare.title", lang), FONT_SIZE + 2, "#555555")
        for line in wrap_text(title, FIG_WIDTH_IN, 17.0, bold=True):
            w.heading(line, 17.0, keep_with=0.5)
        w.paragraph(_intro(doc, lang), FONT_SIZE + 1)
        w.heading(tr("compare.layouts", lang), 13.0)
        for name, text in layout_lines(doc, lang):
            w.paragraph(name, FONT_SIZE + 1, style_="normal")
            if text:
                w.paragraph(text, FONT_SIZE, "#444444", indent_in=0.2)
        images = list(pngs)
        maps = tr("compare.maps", lang)
        if images and images[0][0] == maps:
            w.image(images[0][1], maps, tr("compare.maps_note", lang))
            images = images[1:]

        def table(h, body):
            first = 2.3
            other = (FIG_WIDTH_IN - first) / max(len(h) - 1, 1)
            w.table([Column(h[0], first)] + [Column(c, other, align="right") for c in h[1:]], body)

        w.heading(tr("report.kpis", lang), 13.0)
        table(head, rows)
        w.paragraph(tr("compare.ci_note", lang), FONT_SIZE, "#555555")
        if brows:
            w.heading(tr("compare.benefits", lang), 13.0)
            table(bhead, brows)
        for name, png in images:
            w.image(png, name)
        pages = w.finish(footer, lang)
        return render_pdf(pages, title=f"{title} — {tr('compare.title', lang)}", lang=lang)


def layout_lines(doc: dict, lang: str) -> list[tuple[str, str]]:
    """``(label, description)`` of every layout, the baseline marked."""
    names = _labels(doc, lang)
    out = []
    for lay in doc["layouts"]:
        name = names[lay["name"]] + (f" ({tr('legend.baseline', lang)})" if lay["name"] == doc["baseline"] else "")
        out.append((name, label_text(lay.get("description") or "", lang, "")))
    return out


def _intro(doc: dict, lang: str) -> str:
    n = doc["replications"]
    return tr("compare.intro", lang, n=n, seed=doc["seed"], b=_labels(doc, lang)[doc["baseline"]])


def html_document(doc: dict, lang: str, svgs: list[tuple[str, bytes]], footer: str) -> str:
    e = html.escape
    head, rows, bhead, brows = tables(doc, lang)
    title = title_of(doc, lang)
    out = [f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
           f"<title>{e(title)} — {e(tr('compare.title', lang))}</title><style>{CSS}</style></head><body><main>",
           f'<p class="kicker">{e(tr("compare.title", lang))}</p><h1>{e(title)}</h1>',
           f"<p>{e(_intro(doc, lang))}</p><h2>{e(tr('compare.layouts', lang))}</h2><dl>"]
    for name, text in layout_lines(doc, lang):
        out.append(f"<dt>{e(name)}</dt><dd>{e(text)}</dd>")
    out.append("</dl>")

    def table(h, body):
        cells = "".join(f"<th>{e(c)}</th>" for c in h)
        lines = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in body)
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{lines}</tbody></table>"

    figures = dict(svgs)
    maps = tr("compare.maps", lang)
    if maps in figures:
        out.append(f"<h2>{e(maps)}</h2>" + _img(figures.pop(maps), maps))
        out.append(f'<p class="note">{e(tr("compare.maps_note", lang))}</p>')
    out.append(f"<h2>{e(tr('report.kpis', lang))}</h2>{table(head, rows)}")
    out.append(f'<p class="note">{e(tr("compare.ci_note", lang))}</p>')
    if brows:
        out.append(f"<h2>{e(tr('compare.benefits', lang))}</h2>{table(bhead, brows)}")
    for name, svg in figures.items():
        out.append(f"<h2>{e(name)}</h2>" + _img(svg, name))
    out.append(f'<footer>{e(footer)}</footer></main></body></html>')
    return "\n".join(out)


def _img(svg: bytes, alt: str) -> str:
    import base64

    return f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg).decode("ascii")}" alt="{html.escape(alt)}">'


CSS = ("body{font-family:system-ui,sans-serif;color:#222;margin:0;background:#fafafa}"
       "main{max-width:60rem;margin:0 auto;padding:1.5rem;background:#fff}"
       ".kicker{color:#666;margin:0}h1{margin:.2rem 0 1rem}table{border-collapse:collapse;width:100%;"
       "font-size:.9rem}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:right}"
       "th:first-child,td:first-child{text-align:left}thead th{background:#e8eef4}img{max-width:100%}"
       "dt{font-weight:600;margin-top:.5rem}.note{color:#555;font-size:.85rem}footer{color:#777;"
       "font-size:.8rem;margin-top:2rem}")


def write_comparison_report(folder: str | Path, lang: str = "en", force: bool = False,
                            progress=None) -> list[Path]:
    """Add ``report.{lang}.pdf`` and ``report.{lang}.html`` to a comparison or sweep folder.

    Raises:
        UsageError: not a comparison folder, a damaged ``comparison.json``, a bad language.
    """
    try:
        lang = check_lang(lang)
    except ValueError as exc:
        raise UsageError(f"--lang: {exc}") from None
    folder = Path(folder)
    if not is_comparison(folder):
        raise UsageError(f"{folder}: not a comparison folder (no {DOC}: give the folder written by "
                         "`ptce-flows compare` or `ptce-flows sweep`)")
    check_output(folder, force)
    doc = _read_json(folder / DOC)
    progress = progress or (lambda done, what="": None)
    if hasattr(progress, "total"):
        progress.total = 5
    try:
        files = render(folder, doc, lang, progress)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise UsageError(f"{folder}/{DOC}: cannot be read as a comparison ({type(exc).__name__}: "
                         f"{str(exc)[:200]}); rerun the comparison to rebuild the folder") from exc

    def stale(rel: str) -> bool:
        return is_report_file(rel, langs=(lang,), formats=("pdf", "html"))

    with atomic_dir(folder, drop=stale, force=force) as tmp:
        for rel, data in files.items():
            (tmp / rel).write_bytes(data)
    return [folder / rel for rel in files]
