"""Write the figures and the report of a results folder, atomically.

    write_report("results/minimal_loop", lang="fr")

adds to the folder::

    figures/fr/{kpis,map,sankey,timeseries,jobs,transport}.{png,svg}
    report.fr.pdf
    report.fr.html
    scenario.yaml          (the original scenario text, when found and not already there)

Files are named by language so that an English and a French report live side by side.
Everything is rendered in memory first; then the folder is rebuilt in a temporary sibling
(existing files hard-linked, new ones written) and swapped in with ``atomic_dir``: an error
or an interruption leaves the folder exactly as it was, never half-written.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from ptce_flows.errors import UsageError
from ptce_flows.i18n import LANGS, check_lang
from ptce_flows.reports.files import atomic_dir
from ptce_flows.reports.load import SOURCE_NAME, check_folder, load_results

FORMATS = ("png", "svg", "pdf", "html")
FIGURE_FORMATS = ("png", "svg")
DEFAULT_DPI = 300


def check_formats(formats: Iterable[str] | None) -> tuple[str, ...]:
    """The requested formats, checked (None means all)."""
    if formats is None:
        return FORMATS
    chosen = []
    for item in formats:
        for fmt in str(item).replace(",", " ").split():
            fmt = fmt.strip().lower().lstrip(".")
            if fmt not in FORMATS:
                raise UsageError(f"--formats: unknown format '{fmt}' (allowed: {', '.join(FORMATS)})")
            if fmt not in chosen:
                chosen.append(fmt)
    if not chosen:
        raise UsageError(f"--formats: give at least one of {', '.join(FORMATS)}")
    return tuple(chosen)


def render_report(folder: str | Path, lang: str = "en", formats: Iterable[str] | None = None,
                  dpi: float = DEFAULT_DPI, source_text: str | None = None) -> dict[str, bytes]:
    """Every report file as ``{relative path: bytes}``, nothing written (see :func:`write_report`)."""
    from ptce_flows.plotting.figures import make_figure
    from ptce_flows.plotting.style import render, render_svg_paths
    from ptce_flows.reports.content import report_content
    from ptce_flows.reports.html import html_report
    from ptce_flows.reports.pdf import pdf_report

    try:
        lang = check_lang(lang)
    except ValueError as exc:
        raise UsageError(f"--lang: {exc}") from None
    formats = check_formats(formats)
    if not (dpi > 0 and dpi <= 1200):
        raise UsageError(f"--dpi must be between 1 and 1200, found {dpi}")
    results = load_results(folder, source_text)
    results.lang = lang
    content = report_content(results, lang)
    files: dict[str, bytes] = {}
    svgs: dict[str, bytes] = {}
    for fig_text in content.figures:
        fig = make_figure(fig_text.name, results, lang)
        for fmt in FIGURE_FORMATS:
            if fmt in formats:
                files[f"figures/{lang}/{fig_text.name}.{fmt}"] = render(fig, fmt, dpi=dpi)
        if "html" in formats:
            svgs[fig_text.name] = render_svg_paths(fig)
    if "pdf" in formats:
        files[f"report.{lang}.pdf"] = pdf_report(results, content)
    if "html" in formats:
        files[f"report.{lang}.html"] = html_report(results, content, svgs).encode("utf-8")
    if results.source_text and not (Path(folder) / SOURCE_NAME).exists():
        files[SOURCE_NAME] = results.source_text.encode("utf-8")
    return files


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def write_report(folder: str | Path, lang: str = "en", formats: Iterable[str] | None = None,
                 dpi: float = DEFAULT_DPI, source_text: str | None = None) -> list[Path]:
    """Render the report of ``folder`` and add it to the folder atomically.

    Args:
        folder: a results folder written by ``ptce-flows run``.
        lang: ``en`` or ``fr``.
        formats: any of ``png``, ``svg`` (the figures), ``pdf``, ``html`` (None: all).
        dpi: resolution of the PNG figures.
        source_text: the original scenario text if the caller has it (``run --report``).

    Returns:
        The paths written, inside ``folder``.

    Raises:
        UsageError: bad folder, language or format (nothing is written).
    """
    folder = check_folder(folder)
    files = render_report(folder, lang, formats, dpi, source_text)
    chosen = check_formats(formats)
    lang = check_lang(lang)
    with atomic_dir(folder) as tmp:
        shutil.copytree(folder, tmp, symlinks=True, dirs_exist_ok=True, copy_function=_link_or_copy)
        stale = tmp / "figures" / lang
        if stale.is_dir():  # figures of this language in the formats redone: replaced as a set
            for path in stale.iterdir():
                if path.suffix.lstrip(".") in chosen and path.is_file():
                    path.unlink()
        for rel, data in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                path.unlink()  # never write through a hard link into the old folder
            path.write_bytes(data)
    return [folder / rel for rel in files]


__all__ = ["FORMATS", "LANGS", "check_formats", "render_report", "write_report"]
