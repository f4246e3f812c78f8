"""probe_interpreter: ask an interpreter once what it can do."""

import sys

from showdown.cell import probe_interpreter

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    probe_interpreter(snakemake.params.interpreter, snakemake.output[0])
