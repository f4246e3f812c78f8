"""The published report opens offline in a real browser and shows its figures."""

import re
import shutil
import subprocess

import pytest

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


def test_report_is_self_contained(report):
    html = report.read_text()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []  # opens offline: nothing fetched from elsewhere
