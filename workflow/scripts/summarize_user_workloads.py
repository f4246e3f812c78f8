"""summarize_user_workloads: how every model ran the user's functions, and their GIL reading."""

import sys

from showdown.analysis import write_user_workloads

if __name__ == "__main__":
    # Left open: an uncaught error's traceback is written at exit, into the log.
    sys.stderr = open(snakemake.log[0], "w")
    write_user_workloads(
        snakemake.input.cells,
        snakemake.input.samples,
        snakemake.input.verdicts,
        snakemake.params.functions,
        snakemake.output[0],
    )
