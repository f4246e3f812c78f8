"""The published report opens offline in a real browser and shows its figures."""

import re
import shutil
import subprocess

import pytest

from cdp import Browser
from conftest import REPO, run_snakemake, skip_or_fail

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=15000", "--window-size=1400,1000",
]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    skip_or_fail("no Chromium on this machine (Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def report(finished_sweep):
    workdir, _ = finished_sweep
    run_snakemake(workdir, "--report", "results/report.html", configfile=workdir / "config.yaml")
    return workdir / "results/report.html"


@pytest.mark.slow
def test_report_renders_in_chromium_without_errors(report, tmp_path):
    browser = chromium()
    profile = tmp_path / "profile"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run([*common, "--enable-logging=stderr", "--v=0", "--dump-dom", report.as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    errors = [line for line in dom.stderr.splitlines()
              if "CONSOLE" in line and re.search(r"error|uncaught", line, re.I)]
    assert errors == [], errors
    # The report is a script-built page: its rendered DOM names the figures and tables.
    for item in ("speedup.png", "winners.png", "startup.png", "drift.png", "ledger.tsv", "verdicts.tsv"):
        assert item in dom.stdout, item
    assert "Where do Python threading" in dom.stdout
    shot = subprocess.run([*common, f"--screenshot={screenshot}", report.as_uri()],
                          capture_output=True, text=True, timeout=180)
    assert shot.returncode == 0 and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]


# A reader's first screen: a laptop-sized window, before any scrolling.
FIRST_SCREEN = {"width": 1400, "height": 900}


def on_first_screen(box) -> bool:
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= FIRST_SCREEN["width"]
            and box["y"] + box["height"] <= FIRST_SCREEN["height"])  # fmt: skip


@pytest.mark.slow
def test_first_screen_shows_the_findings_and_the_winner_map(report, tmp_path):
    """Where elements are, as Chromium lays them out: text in the DOM can still be off-screen."""
    flags = [flag for flag in CHROMIUM_FLAGS if not flag.startswith(("--virtual-time-budget", "--window-size"))]
    page = Browser(chromium(), [*flags, f"--user-data-dir={tmp_path / 'profile'}"], **FIRST_SCREEN)
    try:
        page.open(report.as_uri(), ready="document.querySelector('#findings img.winner-map')?.complete === true")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(ARTIFACTS / "report-first-screen.png")
        heading = page.boxes("#findings > h1")  # docutils numbers section headings from h1
        lines = page.boxes("#findings li")
        winner_map = page.boxes("#findings img.winner-map")
        first_line = page.evaluate("document.querySelector('#findings li').innerText")
        map_pixels = page.evaluate("document.querySelector('#findings img.winner-map').naturalWidth")
        # Nothing drawn over the map (the side bar, the job graph): the topmost element at its centre.
        map_on_top = page.evaluate(
            "(() => { const m = document.querySelector('#findings img.winner-map').getBoundingClientRect();"
            " return document.elementFromPoint(m.x + m.width / 2, m.y + m.height / 2)?.classList.contains('winner-map'); })()"
        )
        messages = page.evaluate("document.body.innerText.includes('System Message')")
    finally:
        page.close()
    assert heading and on_first_screen(heading[0]), heading
    # The first kind of work of the tiny sweep, with its answer and where it holds.
    assert lines and on_first_screen(lines[0]), lines[:1]
    assert first_line.startswith("pure-Python CPU:") and "2 workers" in first_line, first_line
    assert len(winner_map) == 1 and on_first_screen(winner_map[0]), winner_map
    assert winner_map[0]["width"] >= 400 and map_pixels > 0 and map_on_top
    assert winner_map[0]["y"] > lines[0]["y"]  # after the findings' lines, as the page reads
    assert not messages  # docutils' complaints (a failed include) would show as "System Message"


def test_report_is_self_contained(report):
    html = report.read_text()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []  # opens offline: nothing fetched from elsewhere
