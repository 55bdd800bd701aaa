"""Write the figures and the report of a results folder, atomically.

    write_report("results/minimal_loop", lang="fr")

adds to the folder::

    figures/fr/{kpis,map,sankey,timeseries,jobs,transport}.{png,svg}
    report.fr.pdf
    report.fr.html
    scenario.yaml          (the original scenario text, when found and not already there)

Files are named by language so that an English and a French report live side by side.
Everything is rendered in memory first; then the folder is rebuilt in a temporary sibling
(new files written, the other files hard-linked, links copied as links) and swapped in with
``atomic_dir``: an error or an interruption leaves the folder exactly as it was, never
half-written, and no link planted in the folder is ever written or deleted through.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ptce_flows.errors import UsageError
from ptce_flows.i18n import LANGS, check_lang
from ptce_flows.reports.files import atomic_dir, check_output, is_report_file
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
                  dpi: float = DEFAULT_DPI, source_text: str | None = None,
                  progress=None) -> dict[str, bytes]:
    """Every report file as ``{relative path: bytes}``, nothing written (see :func:`write_report`).

    ``progress(done, what)`` is called after each figure and document (``reports.console.StepProgress``)."""
    try:
        lang = check_lang(lang)
    except ValueError as exc:
        raise UsageError(f"--lang: {exc}") from None
    formats = check_formats(formats)
    if not (dpi > 0 and dpi <= 1200):
        raise UsageError(f"--dpi must be between 1 and 1200, found {dpi}")
    results = load_results(folder, source_text)
    results.lang = lang
    try:
        return _render(folder, results, lang, formats, dpi, progress or (lambda done, what="": None))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as exc:
        # load_results checks what the figures read; a folder tampered with in a way it does not
        # foresee still ends as an input error (with --debug, the traceback shows the cause)
        raise UsageError(f"{folder}: the results cannot be drawn, a file looks damaged or was written by "
                         f"another version ({type(exc).__name__}: {str(exc)[:200]}); rerun the scenario "
                         "to rebuild the folder") from exc


def _render(folder: Path, results, lang: str, formats: tuple[str, ...], dpi: float,
            progress) -> dict[str, bytes]:
    from ptce_flows.plotting.figures import make_figure
    from ptce_flows.plotting.style import render, render_svg_paths
    from ptce_flows.reports.content import report_content
    from ptce_flows.reports.html import html_report
    from ptce_flows.reports.pdf import pdf_report

    content = report_content(results, lang)
    files: dict[str, bytes] = {}
    svgs: dict[str, bytes] = {}
    total = len(content.figures) + 2
    if hasattr(progress, "total"):
        progress.total = total
    for done, fig_text in enumerate(content.figures):
        progress(done, fig_text.name)
        fig = make_figure(fig_text.name, results, lang)
        for fmt in FIGURE_FORMATS:
            if fmt in formats:
                files[f"figures/{lang}/{fig_text.name}.{fmt}"] = render(fig, fmt, dpi=dpi)
        if "html" in formats:
            svgs[fig_text.name] = render_svg_paths(fig)
    progress(total - 2, "pdf")
    if "pdf" in formats:
        files[f"report.{lang}.pdf"] = pdf_report(results, content)
    progress(total - 1, "html")
    if "html" in formats:
        files[f"report.{lang}.html"] = html_report(results, content, svgs).encode("utf-8")
    progress(total, "")
    source = Path(folder) / SOURCE_NAME
    if results.source_text and not (source.exists() or source.is_symlink()):
        files[SOURCE_NAME] = results.source_text.encode("utf-8")
    return files


def write_report(folder: str | Path, lang: str = "en", formats: Iterable[str] | None = None,
                 dpi: float = DEFAULT_DPI, source_text: str | None = None, force: bool = False,
                 progress=None) -> list[Path]:
    """Render the report of ``folder`` and add it to the folder atomically.

    Args:
        folder: a results folder written by ``ptce-flows run``.
        lang: ``en`` or ``fr``.
        formats: any of ``png``, ``svg`` (the figures), ``pdf``, ``html`` (None: all).
        dpi: resolution of the PNG figures.
        source_text: the original scenario text if the caller has it (``run --report``).
        force: write even if ``folder`` has no manifest.json of ptce-flows (only the report's
            own files are written then; see ``reports.files``).
        progress: ``progress(done, what)`` after each step (see :func:`render_report`).

    Returns:
        The paths written, inside ``folder``.

    Raises:
        UsageError: bad folder, language or format (nothing is written).
    """
    folder = check_folder(folder)
    check_output(folder, force)
    files = render_report(folder, lang, formats, dpi, source_text, progress)
    chosen = check_formats(formats)
    lang = check_lang(lang)

    def stale(rel: str) -> bool:  # this language's report in the formats redone: replaced as a set
        return is_report_file(rel, langs=(lang,), formats=chosen)

    with atomic_dir(folder, drop=stale, force=force) as tmp:
        for rel, data in files.items():
            path = tmp / rel  # tmp is a fresh folder: nothing in it is a link
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return [folder / rel for rel in files]


__all__ = ["FORMATS", "LANGS", "check_formats", "render_report", "write_report"]
