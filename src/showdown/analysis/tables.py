"""The readable ledger with each claim's id, for the report's table page
(:mod:`showdown.figures.tables`)."""

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
