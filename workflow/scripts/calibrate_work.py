"""calibrate_work: choose the task count that fills a work group's serial batch."""

import sys

from showdown.cell import calibrate_work

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    calibrate_work(snakemake.params.interpreter, snakemake.params.spec, snakemake.output[0])
