"""write_provenance: where the numbers came from, for the front page and as a table."""

import sys

from showdown.analysis import write_provenance

if __name__ == "__main__":
    # Left open: an uncaught error's traceback is written at exit, into the log.
    sys.stderr = open(snakemake.log[0], "w")  # noqa: SIM115
    write_provenance(**dict(snakemake.input.items()), **dict(snakemake.output.items()),
                     precision=snakemake.params.precision, config=snakemake.config)  # fmt: skip
