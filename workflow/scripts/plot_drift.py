"""plot_drift: draw the drift figure of the report."""

import sys

from showdown.plots import plot_drift

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_drift(snakemake.input[0], snakemake.output[0])
