"""check_workload: the user's code of a callable workload, checked under one interpreter."""

import sys

from showdown.cell import check_workload

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    check_workload(
        snakemake.params.interpreter,
        snakemake.wildcards.workload,
        snakemake.params.spec,
        snakemake.output[0],
    )
