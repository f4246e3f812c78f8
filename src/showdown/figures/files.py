"""Tables in, PNG out: how a figure's inputs are read and its file written."""

from __future__ import annotations

import io
import os

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from .theme import DPI, themed

# Columns read as text even when every value looks like a number (a config hash of
# digits, a machine called "2", a model list).
TEXT_COLUMNS = (
    "machine", "interpreter", "config_hash", "workload", "kind", "model", "host", "versus",
    "label", "winner", "fastest", "runner_up", "unbeaten", "flags", "label_without_flagged", "note",
)  # fmt: skip


def read_tsv(path: str) -> pd.DataFrame:
    """A table written by pandas' ``to_csv(sep="\\t")``; an empty file is an empty table.

    Only empty fields are missing values: "n/a" is a verdict, which pandas would
    otherwise read as NaN.
    """
    try:
        return pd.read_csv(
            path, sep="\t", keep_default_na=False, na_values=[""], dtype=dict.fromkeys(TEXT_COLUMNS, str)
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def read_table(path: str) -> pd.DataFrame:
    """A figure's input: Parquet by its ending, else a TSV (:func:`read_tsv`)."""
    return pd.read_parquet(path) if str(path).endswith(".parquet") else read_tsv(path)


@themed
def save(figure: Figure, output_png: str) -> None:
    """Write ``figure`` as a PNG (inside the theme: matplotlib makes some artists at draw
    time) and close it.

    With a palette of 256 colours: a figure has a few colours and their anti-aliased edges,
    which 256 keep, and the file is a quarter of the full-colour one (the self-contained
    report carries every figure, base64-encoded, and should stay small).
    """
    from PIL import Image

    try:
        os.makedirs(os.path.dirname(output_png) or ".", exist_ok=True)
        drawn = io.BytesIO()
        figure.savefig(drawn, format="png", dpi=DPI, bbox_inches="tight")
        with Image.open(drawn) as image:
            image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(output_png, optimize=True)
    finally:
        plt.close(figure)
