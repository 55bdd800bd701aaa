"""French that is French (issue 15, item 6): number formats, and a shipped territory's French report
(HTML text, the text of every PDF page and of every figure) with no English word of ours left."""

from __future__ import annotations

import html as html_lib
import re
from unittest import mock

import pytest

from conftest import MINIMAL, SCENARIOS, run_cli
from ptce_flows.i18n import NNBSP, colon, fmt_number, fmt_pct, fmt_qty, tr
from ptce_flows.reports.console import fmt

#: words of the program's own English text (labels, captions, tables): none may be left in French
ENGLISH = ("the", "and", "with", "from", "of", "per", "day", "days", "year", "years", "waste", "treatment",
           "disposal", "diverted", "diversion", "farm", "farms", "fleet", "jobs", "capacity", "intake",
           "processed", "delivered", "mean", "interval", "range", "other", "trips", "outlet", "outlets",
           "replication", "replications", "emissions", "avoided", "by", "to", "at", "on", "not", "in",
           "generated", "collected", "stored", "store", "losses", "demand", "cost", "costs", "inhabitant")
#: names of the scenario's references that contain an English word (journals, firms)
PROPER_NAMES = ("Environment and Planning B", "In Numeri")
WORD = re.compile(r"\b(" + "|".join(ENGLISH) + r")\b", re.I)


def test_french_numbers():
    assert fmt_number(818491, "fr", 0) == f"818{NNBSP}491"
    assert fmt_number(818491, "en", 0) == "818,491"
    assert fmt_number(0.25, "fr") == "0,25"
    assert fmt_number(-1234.5, "fr", 1) == f"\u22121{NNBSP}234,5"
    assert fmt_pct(0.8301, "fr") == f"83,0{NNBSP}%"
    assert fmt_qty(12345.6, "t/day", "fr", 1) == f"12{NNBSP}345,6\u00a0t/j"
    assert fmt(2100.0, "km", "fr") == f"2{NNBSP}100" and fmt(7.905, "FTE", "fr") == "7,91"
    assert fmt(1.0, "%", "fr") == f"100,0{NNBSP}%"
    assert colon("fr") == f"{NNBSP}: " and colon("en") == ": "


def test_wording_of_french_practice():
    assert tr("kpi.diversion_rate", "fr") == "Taux de valorisation"
    assert "valorisé" in tr("kpi.diverted_t", "fr").lower()
    assert "étourn" not in " ".join(tr(k, "fr") for k in ("kpi.diverted_t", "kpi.disposed_t",
                                                             "benefit.extra_diverted_t"))
    # the windows are shaded green in the figure (plotting.timeseries.WINDOW_COLOR)
    assert "grisé" not in tr("caption.timeseries", "fr") and "vert" in tr("caption.timeseries", "fr")


def test_terminal_summary_in_french(tmp_path):
    proc = run_cli("run", str(MINIMAL), "--out", str(tmp_path / "r"), "--days", "30", "--lang", "fr")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Valorisé (entré en traitement)" in text and f"10{NNBSP}500" in text and "Résultats dans" in text
    assert not WORD.search(re.sub(r"\S*[/._]\S*", " ", text)), text


def _texts_of_figure(fig) -> list[str]:
    import matplotlib.text

    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


@pytest.mark.slow  # the shipped territory's year and its figures (~10 s)
def test_french_report_of_a_shipped_territory_has_no_english_left():
    from report_support import results_dir

    from ptce_flows.plotting.figures import make_figure
    from ptce_flows.reports import pdf as pdf_module
    from ptce_flows.reports.content import report_content
    from ptce_flows.reports.html import html_report
    from ptce_flows.reports.load import load_results

    results = load_results(results_dir(SCENARIOS / "organic_vallee.yaml"))
    results.lang = "fr"
    # the assumptions pages too: the comments of the scenario file (its '# fr:' lines, else the
    # cited references and a French word that the comment is in English) and the references
    assert results.source_text and "# fr:" in results.source_text
    content = report_content(results, "fr")
    assert len(content.assumptions) > 150 and content.references
    # reference titles and URLs are proper names, quoted as published
    proper = sorted({r.title for r in content.references if r.title} | {r.url for r in content.references if r.url}
                    | set(PROPER_NAMES), key=len, reverse=True)
    assert content.title == "Organic'Vallée : les biodéchets de Toulouse Métropole"
    assert f"818{NNBSP}491" in content.description or "818 491" in content.description
    texts: list[tuple[str, str]] = []
    for figure in content.figures:
        texts += [(f"figure {figure.name}", t) for t in _texts_of_figure(make_figure(figure.name, results, "fr"))]
    pages: list = []

    def keep_pages(drawn, **_kw):
        pages.extend(drawn)
        return b""

    with mock.patch.object(pdf_module, "render_pdf", keep_pages):
        pdf_module.pdf_report(results, content)
    assert pages
    for page in pages:
        texts += [("pdf", t) for t in _texts_of_figure(page)]
    page = html_report(results, content, {})
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    texts += [("html", line) for line in html_lib.unescape(re.sub(r"<[^>]+>", "\n", body)).splitlines()]
    english = []
    authors_french = {" ".join(a.comment.split()) for a in content.assumptions}
    # the PDF wraps titles over lines (and over pages): there, the words of the titles are left out
    title_words = {w.lower() for name in proper for w in name.split()}
    pdf_words = [w for where, t in texts if where == "pdf" for w in t.split() if w.lower() not in title_words]
    texts = [t for t in texts if t[0] != "pdf"] + [("pdf", " ".join(pdf_words))]
    for where, text in texts:
        text = " ".join(text.split())
        for name in proper:
            text = text.replace(" ".join(name.split()), " ")
        words = re.sub(r"\S*[._]\S*", " ", text)   # key paths and ids (sites.toulouse.population)
        english += [(where, words[max(m.start() - 60, 0):m.end() + 60]) for m in WORD.finditer(words)]
        # 818,491: an English thousands separator (the author's French may write 1,343 = 1.343)
        if text not in authors_french and where != "pdf" and re.search(r"\d,\d{3}\b", words):
            english.append((where, text))
    if re.search(r"\b\d{1,3},\d{3}\b", " ".join(w for w in pdf_words if "1,343" not in w)):
        english.append(("pdf", "English thousands separator"))
    assert not english, "\n".join(f"{w}: {t}" for w, t in english[:40])
