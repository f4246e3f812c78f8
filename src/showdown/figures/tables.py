"""The report's tables as one page to sort and search: the guide, the ledger, the verdicts
and the cells.

Snakemake's report offers a TSV only as a download; an HTML result it shows in the page.
So the tables are written as one HTML page of interactive tables made by itables (the
DataTables library behind pandas): a click on a header sorts, a box searches, and with
``connected=False`` the library is inlined, so the page works offline and fetches nothing.
One page for all of them: the inlined library (about 1 MB) is then carried once.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping

import pandas as pd

# What each table answers, in the page's order: (file name, heading, what it says).
TABLES = (
    ("guide.tsv", "Which model for my work?", "The answer per kind of work and machine · interpreter."),
    ("readable_ledger.tsv", "The article's claims", "Each claim, whether it holds here, and the numbers behind it."),
    ("verdicts.tsv", "Verdicts", "One row per comparison group: the winner, its ratio over the runner-up and why."),
    ("cells.tsv", "Cells", "One row per cell: its level, interval, speedup, memory and flags."),
)  # fmt: skip
# Sorting and searching are the point: a click anywhere on a header sorts (itables' default
# keeps the header's text selectable and sorts on its arrow only); a long table pages, and
# shows its search box (itables leaves both out of a table that fits one page).
OPTIONS = {"connected": False, "display_logo_when_loading": False, "maxBytes": 0, "lengthMenu": [25, 100, -1],
           "scrollX": True, "classes": "display compact cell-border", "text_in_header_can_be_selected": False}  # fmt: skip
STYLE = """
body { font-family: system-ui, sans-serif; font-size: 15px; margin: 1rem; color: #1e293b; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.25rem; }
p { margin: 0 0 0.5rem; }
/* Long readings wrap in a column of their own width, read from the top of the row. */
table.dataTable td { vertical-align: top; min-width: 8rem; max-width: 30rem; }
"""


def inlined_library() -> str:
    """itables' library (its DataTables bundle and style) inlined as text, loaded as a module.

    itables' own offline loader carries the bundle base64-encoded, and the report encodes the
    whole page once more: as text, the page is 250 kB smaller and the report 330 kB. The
    tables itables writes wait for the same promise and event its loader sets.
    """
    from pathlib import Path

    from itables import options
    from itables.javascript import _itables_ready_event, _itables_underscore_version

    bundle = Path(options.dt_bundle)
    source = bundle.read_text(encoding="utf-8")
    if "</script" in source:  # would end the script element early
        raise ValueError(f"{bundle} cannot be inlined as text")
    promise = f"window.{_itables_underscore_version()}"
    return (
        f"<style>{bundle.with_suffix('.css').read_text(encoding='utf-8')}</style>\n"
        f'<script type="text/plain" id="itables-bundle">{source}</script>\n'
        "<script>\n"
        f"if (!{promise}) {{\n"
        "  const text = document.getElementById('itables-bundle').textContent;\n"
        f"  {promise} = import(URL.createObjectURL(new Blob([text], {{type: 'text/javascript'}})));\n"
        f"  {promise}.then(() => window.dispatchEvent(new Event('{_itables_ready_event()}')));\n"
        "}\n"
        "</script>"
    )


def interactive_table(table: pd.DataFrame, table_id: str) -> str:
    """One table as itables writes it, less the static copy of every row it puts first for
    pages that run no script (the report's iframe runs them): 140 kB of the default sweep's
    page. What itables' ``to_html_datatable`` does, with ``fallback_html`` left empty."""
    from itables.javascript import get_itable_arguments, html_table_from_template

    args = get_itable_arguments(table, None, table_id=table_id, **OPTIONS)
    return html_table_from_template(
        table_id=table_id, dt_url=args.pop("dt_url"), connected=args.pop("connected"),
        display_logo_when_loading=args.pop("display_logo_when_loading", False), kwargs=args, fallback_html="",
    )  # fmt: skip


def tables_page(tables: Mapping[str, pd.DataFrame]) -> str:
    """One HTML page: per table of :data:`TABLES` given (file name -> table) its heading,
    what it says, the file it comes from and the interactive table; the library inlined once."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Tables</title><style>{STYLE}</style>",
        inlined_library(),
        "</head><body>",
        "<p>Click a column's header to sort by it (shift-click: a second key); type in Search to keep matching rows.</p>",
    ]
    for name, heading, says in TABLES:
        if name not in tables:
            continue
        anchor = name.split(".")[0]
        parts += [f'<h2 id="{anchor}">{html.escape(heading)}</h2>',
                  f"<p>{html.escape(says)} (<code>{html.escape(name)}</code>)</p>",
                  interactive_table(tables[name], f"table_{anchor}")]  # fmt: skip
    parts.append("</body></html>")
    return "\n".join(parts)


def write_tables(
    *,
    guide_tsv: str,
    ledger_tsv: str,
    verdicts_tsv: str,
    cells_tsv: str,
    points_tsv: str,
    page: str,
    forest_table: str,
    links: Collection[str],
) -> None:
    """The write_tables rule: every table of the page, read from the run's files, and the
    forest plot's table (:func:`forest_table_rst`), linking to the figures named in ``links``."""
    from ..analysis import readable_ledger_with_ids
    from .forest import forest_rows

    read = {name: pd.read_csv(path, sep="\t") for name, path in
            (("guide.tsv", guide_tsv), ("verdicts.tsv", verdicts_tsv), ("cells.tsv", cells_tsv))}  # fmt: skip
    ledger = pd.read_csv(ledger_tsv, sep="\t")
    read["readable_ledger.tsv"] = readable_ledger_with_ids(ledger, read["verdicts.tsv"])
    with open(page, "w") as handle:
        handle.write(tables_page(read))
    cells = read["cells.tsv"]
    kinds = dict(zip(cells["workload"], cells["kind"])) if "kind" in cells else {}
    rows = forest_rows(read["verdicts.tsv"], pd.read_csv(points_tsv, sep="\t"), ledger, kinds)
    with open(forest_table, "w") as handle:
        handle.write(forest_table_rst(rows, links))


def forest_table_rst(rows: pd.DataFrame, links: Collection[str]) -> str:
    """The forest plot's rows as an rst table its caption includes: the id the plot shows,
    the row, its verdict and a link to the figure behind it (a name of ``links``, whose
    targets :func:`result_links_rst` writes)."""
    from ..analysis import rst_text

    if rows.empty:
        return "No comparison or claim has a ratio yet.\n"
    lines = [".. list-table:: The rows of the plot, top to bottom", "   :header-rows: 1", "   :widths: auto", "",
             "   * - id", "     - comparison or claim", "     - verdict", "     - figure"]  # fmt: skip
    for row in rows.itertuples(index=False):
        lines += [f"   * - {rst_text(row.id)}", f"     - {rst_text(row.label)}", f"     - {rst_text(row.verdict)}",
                  f"     - {row.figure}_" if row.figure in links else "     -"]  # fmt: skip
    return "\n".join(lines) + "\n"


def result_links_rst(outputs: Mapping[str, str]) -> str:
    """rst targets, one per result (a name -> its path: a PNG, or an HTML page), that open the
    result itself in the report, the sidebar left as it was (the menu, or the caption a reader
    came from); Snakemake's own link to a result (``speedup.png_``) opens only the caption in
    the sidebar. The front page and the forest plot's table link to these by name."""
    lines = [".. Links from the front page to figures and pages, opened in the page.", ""]
    for name, path in outputs.items():
        shown = "html" if path.endswith(".html") else "img"
        lines.append(f".. _{name}: javascript:app.showResultInfo('{path}');app.setView({{content:'{shown}',"
                     f"contentPath:results['{path}'].data_uri,resultPath:'{path}'}})")  # fmt: skip
    return "\n".join(lines) + "\n"
