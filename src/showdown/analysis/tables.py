"""The tables of the report's table page (:mod:`showdown.figures.tables` draws it): the
guide, the readable ledger with each claim's id, the verdicts and the cells."""

from __future__ import annotations

import pandas as pd

from .findings import claim_rows, readable_ledger, settings_of


def readable_ledger_with_ids(ledger: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """The readable ledger, its first column the claim's id (``ledger.tsv``'s ``claim``),
    so that a reader can name a claim and find it in every table."""
    settings = settings_of(verdicts, ledger)
    table = readable_ledger(ledger, settings)
    ids = [claim for machine, interpreter in settings for claim in claim_rows(ledger, machine, interpreter)["claim"]]
    table.insert(0, "id", ids)
    return table


def write_tables(*, guide_tsv: str, ledger_tsv: str, verdicts_tsv: str, cells_tsv: str, page: str) -> None:
    """The write_tables rule: every table of the page, read from the run's files."""
    from ..figures.tables import write_tables_page

    read = {name: pd.read_csv(path, sep="\t") for name, path in
            (("guide.tsv", guide_tsv), ("verdicts.tsv", verdicts_tsv), ("cells.tsv", cells_tsv))}  # fmt: skip
    read["readable_ledger.tsv"] = readable_ledger_with_ids(pd.read_csv(ledger_tsv, sep="\t"), read["verdicts.tsv"])
    write_tables_page(page, read)
