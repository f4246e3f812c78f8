"""run_cell: measure one (cell, round) in a fresh interpreter and write its round file."""

import sys

from showdown.cell import run_cell_job

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    run_cell_job(
        output=snakemake.output[0],
        interpreter=snakemake.params.interpreter,
        job=snakemake.params.job,
        probe=snakemake.input.probe,
        calibration=snakemake.input.get("calibration"),
        checkout=snakemake.scriptdir,
    )
