"""judge_claims: hold every claim of the article against the measurements."""

import sys

from showdown.analysis import write_ledger

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    write_ledger(
        snakemake.input.claims,
        snakemake.input.samples,
        ledger_tsv=snakemake.output.ledger,
        points_tsv=snakemake.output.points,
        **dict(snakemake.params.items()),
    )
