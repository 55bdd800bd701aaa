"""The HTML report in headless Chromium: it loads offline, every image decodes, no error is
raised, and the screenshot is not blank. Skipped only when Chromium is not installed (CI
installs the Debian package ``chromium``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from report_support import RICH, copy_results, shipped

from conftest import MINIMAL
from ptce_flows.reports.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(apt-get install chromium; .ci/run installs it)")


def chromium(*args: str, profile: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def body_attributes(dom: str) -> dict[str, str]:
    match = re.search(r"<body([^>]*)>", dom)
    assert match, "no <body> in the dumped DOM"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


def check_page(html: Path, tmp_path: Path, figures: int) -> np.ndarray:
    """``figures``: the least number of figures the page must show; every <img> written in the
    file must decode in the browser."""
    url = html.resolve().as_uri()
    written = html.read_text(encoding="utf-8").count("<img ")
    assert written >= figures
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", url, profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    attrs = body_attributes(dom.stdout)
    assert attrs.get("data-loaded") == "yes", "the page's load event never ran"
    assert attrs.get("data-images-failed") == "0"
    assert attrs.get("data-images-ok") == str(written)
    assert attrs.get("data-errors") == "0"
    shot = tmp_path / "shot.png"
    proc = chromium(f"--screenshot={shot}", "--window-size=1280,2000", url, profile=tmp_path / "profile")
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(str(shot))[..., :3]
    assert pixels.shape[:2] == (2000, 1280)
    return pixels


def test_html_report_loads_offline_and_is_not_blank(tmp_path):
    folder = copy_results(MINIMAL, tmp_path)
    write_report(folder, "fr", formats=["html"])
    pixels = check_page(folder / "report.fr.html", tmp_path, figures=7)
    assert pixels.std() > 0.05                        # not a blank page
    dark = (pixels.mean(axis=2) < 0.5).mean()
    assert 0.005 < dark < 0.5                         # text and figures, not a black page
    colour = (pixels.max(axis=2) - pixels.min(axis=2) > 0.25).mean()
    assert colour > 0.005                             # the figures are drawn (in colour)


@pytest.mark.parametrize("scenario", ([p for p in shipped() if p.stem == "cluster_jura"] or [RICH]),
                         ids=lambda p: p.stem)
def test_html_report_of_a_larger_scenario(tmp_path, scenario):
    folder = copy_results(scenario, tmp_path)
    write_report(folder, "en", formats=["html"])
    pixels = check_page(folder / "report.en.html", tmp_path, figures=7)
    assert pixels.std() > 0.05
