"""list_applicability: the kernel's table of which models run which workloads."""

import sys

from showdown.sweep import write_applicability

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    write_applicability(snakemake.output[0])
