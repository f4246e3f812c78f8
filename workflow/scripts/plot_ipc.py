"""plot_ipc: draw the ipc figure of the report."""

import sys

from showdown.plots import plot_ipc

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_ipc(snakemake.input[0], snakemake.output[0])
