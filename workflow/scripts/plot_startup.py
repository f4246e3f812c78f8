"""plot_startup: draw the startup figure of the report."""

import sys

from showdown.plots import plot_startup

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_startup(snakemake.input[0], snakemake.output[0])
