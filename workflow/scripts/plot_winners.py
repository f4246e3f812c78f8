"""plot_winners: draw the winners figure of the report."""

import sys

from showdown.plots import plot_winners

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_winners(snakemake.input[0], snakemake.output[0])
