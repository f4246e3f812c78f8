"""plot_memory: draw the memory figure of the report."""

import sys

from showdown.plots import plot_memory

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_memory(snakemake.input[0], snakemake.output[0])
