"""plot_io: draw the io figure of the report."""

import sys

from showdown.plots import plot_io

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_io(snakemake.input[0], snakemake.output[0])
