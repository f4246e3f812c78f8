"""plot_speedup: draw the speedup figure of the report."""

import sys

from showdown.plots import plot_speedup

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_speedup(snakemake.input[0], snakemake.output[0])
