"""The figures of the report, from one registry.

A figure is a draw function (tables in, a :class:`~matplotlib.figure.Figure` out, drawing
only columns that the analysis computed), an entry in :data:`FIGURES`
(:mod:`.registry`) and a caption file. The door:

- :func:`draw` ``(name, tables)``: the figure, without files (tests look at it);
- :func:`plot` ``(name, inputs, output_png)``: the workflow's one plot script reads the
  entry's input files, draws and writes the PNG.

Modules, in the order of the report: :mod:`.theme` (the look, one colour per model),
:mod:`.panels` (labels, titles, lines and axes every figure shares), then one module per
subject: :mod:`.speedup` (speedup and start-up), :mod:`.winners`, :mod:`.drift`,
:mod:`.interpreters`, :mod:`.memory`, :mod:`.mechanisms` (transfer, switch, locks),
:mod:`.io`, :mod:`.forest` (every comparison and claim); :mod:`.files` reads tables and writes
PNGs; :mod:`.tables` writes the page of tables to sort and search.

Importing this package imports no plotting library: Snakemake reads the registry at every
start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module

from .registry import BY_NAME, FIGURES, Entry

__all__ = ["BY_NAME", "FIGURES", "Entry", "draw", "draw_function", "plot", "result_links_rst", "write_tables"]


def draw_function(name: str) -> Callable:
    """The draw function of the figure called ``name``."""
    module, function = BY_NAME[name].draw.rsplit(".", 1)
    return getattr(import_module(f"{__name__}.{module}"), function)


def draw(name: str, tables: Mapping):
    """The figure ``name`` drawn from ``tables`` (one DataFrame per input of its entry)."""
    return draw_function(name)(**tables)


def plot(name: str, inputs: Mapping[str, str], output_png: str) -> None:
    """Read the figure's input files (by input name), draw it and write ``output_png``."""
    from .files import read_table, save

    save(draw(name, {key: read_table(path) for key, path in inputs.items()}), output_png)


def write_tables(**paths: str) -> None:
    """The report's page of tables to sort and search (:func:`.tables.write_tables`)."""
    from .tables import write_tables as write

    write(**paths)


def result_links_rst(outputs: Mapping[str, str]) -> str:
    """Front-page links that open results in place (:func:`.tables.result_links_rst`)."""
    from .tables import result_links_rst as links

    return links(outputs)
