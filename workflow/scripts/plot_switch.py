"""plot_switch: draw the switch figure of the report."""

import sys

from showdown.plots import plot_switch

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    plot_switch(snakemake.input[0], snakemake.output[0])
