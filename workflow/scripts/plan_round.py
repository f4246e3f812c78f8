"""plan_round: which work groups get another round (their intervals too wide to decide)."""

import sys

from showdown.sweep import write_plan

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    write_plan(
        list(snakemake.input),
        round=int(snakemake.wildcards.round),
        output=snakemake.output[0],
        **dict(snakemake.params.items()),
    )
