"""plot_interpreters: draw the interpreters figure of the report."""

import sys

from showdown.plots import plot_interpreters

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_interpreters(
        snakemake.input.cells,
        snakemake.input.samples,
        snakemake.output[0],
        verdicts_tsv=snakemake.input.verdicts,
    )
