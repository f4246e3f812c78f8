"""The report's page of tables: every table, sortable and searchable, offline."""

import html
import re
import time

import pandas as pd
import pytest

from cdp import Browser
from showdown.analysis import readable_ledger_with_ids
from showdown.figures.tables import TABLES, tables_page
from test_report import ARTIFACTS, CHROMIUM_FLAGS, chromium

# Chromium with every name unresolvable and a proxy that answers nothing: no request leaves.
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"]


def some_tables() -> dict[str, pd.DataFrame]:
    cells = pd.DataFrame({"model": ["serial", "threads", "asyncio", "processes-fork"], "median": [4.0, 1.5, 3.0, 2.0]})
    return {name: cells for name, _, _ in TABLES}


def test_the_page_holds_every_table_and_loads_nothing_from_elsewhere():
    page = tables_page(some_tables())
    for name, heading, _ in TABLES:
        assert f'id="table_{name.split(".")[0]}"' in page and html.escape(heading) in page
    assert re.findall(r'(?:src|href)="https?://', page) == []
    assert "itables-bundle" in page and "dt_src_b64" not in page  # the library is inlined


def test_the_readable_ledger_names_each_claims_id():
    ledger = pd.DataFrame({
        "claim": ["gil", "memory"], "text": ["threads do not speed up CPU work", "processes cost memory"],
        "figure": ["speedup", "memory"], "machine": ["vm", "vm"], "interpreter": ["py311", "py311"],
        "verdict": ["supported", "refuted"], "reading": ["yes", "no"], "detail": ["", ""],
        "ratio": [0.5, 1.2], "ci_low": [0.4, 1.1], "ci_high": [0.6, 1.3], "ci_level": [0.95, 0.9], "points": [2, 2],
        "rounds": [3, 3],
    })  # fmt: skip
    verdicts = pd.DataFrame({"machine": ["vm"], "interpreter": ["py311"]})
    table = readable_ledger_with_ids(ledger, verdicts)
    assert list(table["id"]) == ["gil", "memory"]
    assert list(table["claim"]) == list(ledger["text"])


@pytest.mark.slow
def test_a_click_on_a_header_sorts_the_table_offline(tmp_path):
    page_file = tmp_path / "tables.html"
    page_file.write_text(tables_page(some_tables()))
    flags = [flag for flag in CHROMIUM_FLAGS if not flag.startswith(("--virtual-time-budget", "--window-size"))]
    browser = Browser(chromium(), [*flags, *OFFLINE, f"--user-data-dir={tmp_path / 'profile'}"], width=1280, height=800)
    rows = "[...document.querySelectorAll('#table_cells_wrapper tbody tr')].map(r => r.cells[0].innerText)"
    try:
        browser.open(
            page_file.as_uri(), ready="document.querySelectorAll('#table_cells_wrapper tbody tr').length === 4"
        )
        before = browser.evaluate(rows)
        header = "[...document.querySelectorAll('#table_cells_wrapper thead th')].find(th => th.innerText.trim() === 'model')"
        browser.evaluate(f"{header}.scrollIntoView({{block: 'center'}})")
        # Where the header is once the page has settled (DataTables sizes its columns after drawing).
        time.sleep(0.5)
        box = browser.evaluate(
            f"(() => {{ const b = {header}.getBoundingClientRect(); return [b.x, b.y, b.width, b.height]; }})()"
        )
        browser.click(box[0] + box[2] / 2, box[1] + box[3] / 2)
        deadline = time.monotonic() + 10
        while (after := browser.evaluate(rows)) == before and time.monotonic() < deadline:
            time.sleep(0.2)
        ARTIFACTS.mkdir(exist_ok=True)
        browser.screenshot(ARTIFACTS / "tables-sorted.png")
    finally:
        browser.close()
    assert before == ["serial", "threads", "asyncio", "processes-fork"]
    assert after == sorted(before)
