"""list_not_applicable: one table of the pairs the sweep did not measure, and why."""

import sys

from showdown.sweep import write_not_applicable

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    write_not_applicable(snakemake.params.declared, snakemake.input.samples, snakemake.output[0])
