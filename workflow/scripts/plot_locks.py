"""plot_locks: draw the locks figure of the report."""

import sys

from showdown.plots import plot_locks

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_locks(snakemake.input[0], snakemake.output[0])
