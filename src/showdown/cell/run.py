"""``python -m showdown.cell.run OUTPUT REQUEST``: the run_cell rule's command.

A command rather than a Snakemake ``script:``, which imports Snakemake and unpickles its job
object first: a quarter of a second of every cell job. For the same reason NumPy is kept
out: pyarrow (16 and later) runs without it, nothing here needs it, and importing it is
another tenth of a second per job. This module is only ever run, never imported.
"""

import sys

sys.modules.setdefault("numpy", None)  # an import of numpy now fails fast, as if absent

import argparse  # noqa: E402

from showdown.cell.job import run_cell_job  # noqa: E402
from showdown.cell.request import CellRequest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m showdown.cell.run", description=__doc__.splitlines()[0])
    parser.add_argument("output", help="the round file to write")
    parser.add_argument("request", type=CellRequest.from_json, help="the job as JSON (a CellRequest)")
    args = parser.parse_args()
    run_cell_job(args.output, args.request)


if __name__ == "__main__":
    main()
