"""compare_models: verdicts, pairwise tests and the A/A control."""

import sys

from showdown.analysis import write_comparisons

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    write_comparisons(
        snakemake.input.samples,
        verdicts_tsv=snakemake.output.verdicts,
        verdicts_parquet=snakemake.output.verdicts_parquet,
        pairs_tsv=snakemake.output.pairs,
        aa_tsv=snakemake.output.aa,
        false_win_tsv=snakemake.output.false_win,
        noise_by_kind_tsv=snakemake.output.noise_by_kind,
        families_tsv=snakemake.output.families,
        **dict(snakemake.params.items()),
    )
