"""compare_interpreters: threads and subinterpreters against processes, per interpreter."""

import sys

from showdown.analysis import write_interpreter_gaps

if __name__ == "__main__":
    # Left open: an uncaught error's traceback is written at exit, into the log.
    sys.stderr = open(snakemake.log[0], "w")
    write_interpreter_gaps(snakemake.input.samples, snakemake.output.gaps)
