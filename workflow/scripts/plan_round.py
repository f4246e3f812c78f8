"""plan_round: decide whether a work group needs another round."""

import sys

from showdown.sweep import write_plan

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    write_plan(
        list(snakemake.input),
        round=int(snakemake.wildcards.round),
        precision=snakemake.params.precision,
        max_rounds=snakemake.params.max_rounds,
        output=snakemake.output[0],
    )
