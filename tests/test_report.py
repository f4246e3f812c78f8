"""The published report opens offline in a real browser and shows its figures."""

import datetime
import json
import random
import re
import shutil
import subprocess
import time

import pandas as pd
import pytest
import yaml

from cdp import Browser
from conftest import REPO, run_snakemake, skip_or_fail
from showdown import paths
from showdown.cell.record import read_round_file, to_table, write_atomic
from showdown.sweep import load_sweep, matrix
from showdown.sweep.config import machine_slug

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
    "--window-size=1400,1000",
]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    skip_or_fail("no Chromium on this machine (Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def report(finished_report):
    return finished_report


@pytest.mark.slow
def test_report_renders_in_chromium_without_errors(report, tmp_path):
    browser = chromium()
    profile = tmp_path / "profile"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--enable-logging=stderr", "--v=0", "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    errors = [
        line for line in dom.stderr.splitlines() if "CONSOLE" in line and re.search(r"error|uncaught", line, re.I)
    ]
    assert errors == [], errors
    # The report is a script-built page: its rendered DOM names the figures and tables.
    for item in ("speedup.png", "forest.png", "startup.png", "drift.png", "ledger.tsv", "verdicts.tsv", "tables.html"):
        assert item in dom.stdout, item
    assert "Where do Python threading" in dom.stdout
    shot = subprocess.run(
        [*common, f"--screenshot={screenshot}", report.as_uri()], capture_output=True, text=True, timeout=180
    )
    assert shot.returncode == 0 and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]


# The default sweep's matrix with its work made tiny: every cell, round, rule and job of
# config/config.yaml (so the job graph, the findings' lines, the guide's rows, the claims and
# the figures have the default report's shape), at a few seconds of work per job instead of
# ten minutes of measuring. Numbers from it mean nothing; its layout is the real one.
TINY_WORK = {"repetitions": 1, "warmups": 0, "calibration_seconds": 0.005, "cell_timeout_seconds": 120}
SMALL_IO = {"tasks": 8, "latency_ms": 1, "increments": 50, "requests_per_connection": 1}


def default_shaped_sweep() -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(TINY_WORK)
    for workload in config["workloads"].values():
        workload.update({key: value for key, value in SMALL_IO.items() if key in workload})
    return config


def planned_jobs(workdir, configfile) -> dict[str, int]:
    """Jobs per rule as ``snakemake -n`` plans them for a fresh directory."""
    done = run_snakemake(workdir, "-n", "--quiet", "rules", configfile=configfile)
    counts = re.findall(r"^(\w+)\s+(\d+)$", done.stdout + done.stderr, re.M)
    return {rule: int(count) for rule, count in counts if rule != "total"}


# Columns a later round's copy of a first-round file varies: what a round measures.
ROUND_MEASURES = ("wall_seconds", "cpu_user_seconds", "cpu_system_seconds", "kernel_seconds",
                  "round_trip_p50_seconds", "round_trip_p90_seconds", "round_trip_p99_seconds")  # fmt: skip


def copy_first_round(workdir, schedule) -> int:
    """Write every cell's later base rounds from its measured first round, with round-to-round
    noise; the number of files written. The cells, rounds and positions are the workflow's
    own (``schedule``, a matrix.Schedule of the sweep's config): a config change moves them too."""
    written = 0
    for group, cells in schedule.groups.items():
        for round in range(2, schedule.sweep["rounds"]["base"] + 1):
            for cell, first, path in zip(cells, schedule.round_paths(group, 1), schedule.round_paths(group, round)):
                # Half a percent: every interval narrow enough that no group asks for a round more.
                factor = 1 + random.Random(path).gauss(0, 0.005)
                rows = []
                for row in read_round_file(str(workdir / first)).to_pylist():
                    started = datetime.datetime.fromisoformat(row["started_at"]) + datetime.timedelta(minutes=round - 1)
                    changed = {key: row[key] * factor for key in ROUND_MEASURES if row[key] is not None}
                    rows.append({**row, **changed, "round": round, "position": schedule.position(cell, round),
                                 "started_at": started.isoformat(timespec="milliseconds")})  # fmt: skip
                write_atomic(to_table(rows), str(workdir / path))
                written += 1
    return written


@pytest.fixture(scope="module")
def default_shaped_report(tmp_path_factory):
    """(report.html, its sweep's directory) of a sweep shaped like the default one.

    Only its first round is measured (every cell once, with its probe and calibration):
    the later base rounds are copies of it with noise (:func:`copy_first_round`), so
    about a fifth of the default's cell jobs run; the planning of extra rounds, the
    analysis and the report then run for real on that tree.
    """
    workdir = tmp_path_factory.mktemp("default-shaped")
    config = default_shaped_sweep()
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    default = planned_jobs(tmp_path_factory.mktemp("default-plan"), REPO / "config" / "config.yaml")
    assert planned_jobs(workdir, configfile) == default and default["run_cell"] > 100
    schedule = matrix.Schedule(load_sweep(config))
    first_round = [path for group in schedule.groups for path in schedule.round_paths(group, 1)]
    run_snakemake(workdir, *first_round, configfile=configfile, timeout=900)
    copied = copy_first_round(workdir, schedule)
    assert len(first_round) + copied == default["run_cell"]
    # The copies complete the base rounds: nothing is left to measure but extra rounds.
    rest = planned_jobs(workdir, configfile)
    assert "run_cell" not in rest and "plan_round" in rest, rest
    run_snakemake(workdir, configfile=configfile, timeout=1500)
    run_snakemake(workdir, "--report", "results/report.html", configfile=configfile)
    return workdir / "results/report.html", workdir


# A reader's screens: three laptop and desktop windows and a phone.
SCREENS = {"1280x800": (1280, 800, False), "1400x900": (1400, 900, False), "1920x1080": (1920, 1080, False),
           "390x844": (390, 844, True)}  # fmt: skip
# Every text node of the front page: its computed font size and where its lines lie.
FRONT_PAGE_TEXT = """(() => {
  const walker = document.createTreeWalker(document.querySelector('.prose'), NodeFilter.SHOW_TEXT);
  const bad = []; let lines = 0;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const size = parseFloat(getComputedStyle(node.parentElement).fontSize);
    const range = document.createRange(); range.selectNodeContents(node);
    for (const box of range.getClientRects()) {
      if (box.width === 0) continue;
      lines += 1;
      if (box.left < -0.5 || box.right > innerWidth + 0.5 || size < 14)
        bad.push({text: node.textContent.slice(0, 60), left: box.left, right: box.right, size});
    }
  }
  return {lines, bad: bad.slice(0, 5), count: bad.length};
})()"""


def on_screen(box, width, height) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


def browser(tmp_path, width=1400, height=900) -> Browser:
    flags = [flag for flag in CHROMIUM_FLAGS if not flag.startswith(("--virtual-time-budget", "--window-size"))]
    return Browser(chromium(), [*flags, f"--user-data-dir={tmp_path / 'profile'}"], width=width, height=height)


def read_every_screen(page, report, name: str) -> dict:
    """The front page at each of :data:`SCREENS`: where its parts are, as Chromium lays them
    out; a screenshot of each in test-artifacts/ (``<name>-<screen>.png``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    seen = {}
    for screen, (width, height, mobile) in SCREENS.items():
        page.resize(width, height, mobile=mobile)
        page.open(report.as_uri(), ready="document.querySelector('#findings img.winner-map')?.complete === true")
        page.screenshot(ARTIFACTS / f"{name}-{screen}.png")
        seen[screen] = {
            "heading": page.boxes("#findings > h1"),  # docutils numbers section headings from h1
            "first_line": page.boxes("#findings li")[:1],
            "first_text": page.evaluate("document.querySelector('#findings li').innerText"),
            "column": page.boxes(".prose"),
            "graph": page.boxes("#rulegraph"),
            "text": page.evaluate(FRONT_PAGE_TEXT),
            "map": page.boxes("#findings img.winner-map"),
            "messages": page.evaluate("document.body.innerText.includes('System Message')"),
            "words": page.evaluate("document.querySelector('.prose').innerText"),
        }
    return seen


def assert_reads(seen: dict, guide_rows: int) -> None:
    """At every screen: the findings' heading and first line on screen, every text node of
    the front page within the window at 14 px or more, a column of 600 px on desktop, the job
    graph below the text, the winner map wide enough, and no docutils complaint."""
    for name, (width, height, mobile) in SCREENS.items():
        s = seen[name]
        assert s["heading"] and on_screen(s["heading"][0], width, height), (name, s["heading"])
        assert s["first_line"] and on_screen(s["first_line"][0], width, height), (name, s["first_line"])
        assert s["text"]["lines"] > 20 + guide_rows and s["text"]["count"] == 0, (name, s["text"])
        if not mobile:
            assert s["column"][0]["width"] >= 600, (name, s["column"])
        # The job graph below the text, not beside it.
        assert all(graph["y"] >= s["column"][0]["y"] + s["column"][0]["height"] for graph in s["graph"]), name
        assert len(s["map"]) == 1 and s["map"][0]["width"] >= min(400, width - 40), (name, s["map"])
        assert not s["messages"]  # docutils' complaints (a failed include) would show as "System Message"


@pytest.mark.slow
def test_the_front_page_reads_on_every_screen(default_shaped_report, tmp_path):
    """Where the text is, as Chromium lays it out: text in the DOM can still be off-screen."""
    report, workdir = default_shaped_report
    page = browser(tmp_path)
    try:
        seen = read_every_screen(page, report, "report")
        # A claim's figure link opens the figure itself in the page.
        page.evaluate("[...document.querySelectorAll('#findings a')].find(a => a.innerText === 'speedup').click()")
        opened = page.evaluate(
            "new Promise(done => setTimeout(() => done([...document.querySelectorAll('img')]"
            ".filter(i => i.src.includes('filename=speedup.png')).map(i => i.naturalWidth)), 1000))"
        )
    finally:
        page.close()
    assert_reads(seen, guide_rows=len(pd.read_csv(workdir / "results/guide.tsv", sep="\t")))
    for name, s in seen.items():
        assert s["first_text"].startswith("pure-Python CPU:"), (name, s["first_text"])
    assert len(opened) == 1 and opened[0] > 400
    assert report.stat().st_size < 6_000_000  # one self-contained file a reader can still mail


def test_report_is_self_contained(report):
    html = report.read_text()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []  # opens offline: nothing fetched from elsewhere


def forest_table_rows(workdir) -> int:
    """How many rows the forest plot of a sweep's results draws."""
    from showdown.figures.forest import forest_rows

    results = workdir / "results"
    read = {name: pd.read_csv(results / path, sep="\t") for name, path in
            (("verdicts", "stats/verdicts.tsv"), ("points", "claims/points.tsv"), ("ledger", "claims/ledger.tsv"),
             ("cells", "aggregate/cells.tsv"))}  # fmt: skip
    kinds = dict(zip(read["cells"]["workload"], read["cells"]["kind"]))
    return len(forest_rows(read["verdicts"], read["points"], read["ledger"], kinds))


# The forest plot's caption, opened as a reader opens it (its result's info), and its table.
FOREST_TABLE = """new Promise(done => {
  app.showResultInfo('results/report/forest.png');
  setTimeout(() => {
    const rows = [...document.querySelectorAll('nav table.docutils tbody tr')];
    const links = rows.map(row => row.querySelector('a')?.getAttribute('href') || '');
    // A link names the figure it opens as results['<its path>']: is that a result of the report?
    const targets = links.map(href => (href.match(/results\\['([^']+)'\\]/) || [])[1]);
    done({rows: rows.length, ids: rows.map(row => row.cells[0].innerText),
          linked: targets.filter(path => path && path in results).length, targets});
  }, 1000);
})"""


@pytest.mark.slow
def test_the_forest_table_links_each_row_of_the_plot_to_a_figure_of_the_report(default_shaped_report, tmp_path):
    report, workdir = default_shaped_report
    page = browser(tmp_path)
    try:
        page.open(report.as_uri(), ready="typeof app !== 'undefined' && !!document.querySelector('#findings')")
        table = page.evaluate(FOREST_TABLE)
        # The first row's link opens its figure in the page.
        page.evaluate("document.querySelector('nav table.docutils tbody a').click()")
        opened = page.evaluate("new Promise(done => setTimeout(() => done(app.state.resultPath), 1000))")
    finally:
        page.close()
    assert table["rows"] == forest_table_rows(workdir) > 0
    assert table["ids"][:2] == ["v1", "v2"] and len(set(table["ids"])) == table["rows"]
    assert table["linked"] == table["rows"], [t for t in table["targets"] if t is None][:5]
    assert opened == table["targets"][0]


@pytest.mark.slow
def test_on_a_phone_the_menu_waits_below_the_findings_and_opens_on_a_tap(default_shaped_report, tmp_path):
    """At 390 x 844 the menu is a bar at the foot of the screen, not its lower half; a tap opens it."""
    report, _ = default_shaped_report
    page = browser(tmp_path, 390, 844)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.resize(390, 844, mobile=True)
        page.call("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=1, session=True)
        page.open(report.as_uri(), ready="document.querySelector('#findings img.winner-map')?.complete === true")
        closed = page.boxes("nav")[0]
        findings = page.boxes("#findings li")[0]
        bar = page.boxes("nav > h1")[0]
        for kind, points in (("touchStart", [{"x": bar["x"] + 100, "y": bar["y"] + bar["height"] / 2}]),
                             ("touchEnd", [])):  # fmt: skip
            page.call("Input.dispatchTouchEvent", type=kind, touchPoints=points, session=True)
        time.sleep(0.5)  # the menu's height eases open
        opened = page.boxes("nav")[0]
        menu = page.evaluate(
            "[...document.querySelectorAll('nav li')].filter(item => { const box = item.getBoundingClientRect();"
            " return box.height > 0 && box.top >= 0 && box.bottom <= innerHeight; }).length"
        )
        page.screenshot(ARTIFACTS / "report-390x844-menu.png")
    finally:
        page.close()
    assert closed["y"] + closed["height"] == pytest.approx(844, abs=1) and closed["height"] <= 844 * 0.12, closed
    assert findings["y"] + findings["height"] <= closed["y"], (findings, closed)
    assert opened["height"] >= 844 * 0.4 and menu >= 6, (opened, menu)


# Two machine labels in one results tree, one report: the session's tiny sweep (its label this
# host's) and test_machines' second label b beside it, with every figure redrawn for both.
@pytest.fixture(scope="module")
def two_label_report(finished_sweep, tmp_path_factory):
    """(report.html, its directory, its two labels)."""
    from test_machines import B_SWEEP

    workdir = tmp_path_factory.mktemp("two-labels")
    shutil.copytree(finished_sweep[0] / "results", workdir / "results")
    run_snakemake(workdir, config=B_SWEEP, timeout=900)
    run_snakemake(workdir, "--report", "results/report.html", configfile=workdir / "config.yaml")
    return workdir / "results/report.html", workdir, (machine_slug(), B_SWEEP["machine"])


@pytest.mark.slow
def test_a_report_of_two_machine_labels_reads_on_every_screen_and_names_each_run(two_label_report, tmp_path):
    report, workdir, labels = two_label_report
    page = browser(tmp_path)
    try:
        seen = read_every_screen(page, report, "report-two-labels")
    finally:
        page.close()
    assert_reads(seen, guide_rows=len(pd.read_csv(workdir / "results/guide.tsv", sep="\t")))
    words = seen["1400x900"]["words"]
    for label in labels:
        manifest = json.loads((workdir / paths.MANIFEST.format(machine=label)).read_text())
        # The label's own part of "Where these numbers come from": its commit and config hash.
        part = words[words.index("Where these numbers come from") :]
        part = part[part.index(f"{label} · ") :]
        ends = [part.find(f"{other} · ", 1) for other in labels if other != label]
        part = part[: min([end for end in ends if end > 0], default=len(part))]
        assert manifest["git_commit"][:12] in part and manifest["config_hash"] in part, (label, part[:600])
