"""write_findings: the report's front page (findings, the guide) and the readable ledger."""

import sys

from showdown.analysis import write_findings

if __name__ == "__main__":
    # Left open: an uncaught error's traceback is written at exit, into the log.
    sys.stderr = open(snakemake.log[0], "w")
    write_findings(
        **dict(snakemake.input.items()),
        findings_path=snakemake.output.findings,
        guide_tsv=snakemake.output.guide,
        readable_ledger_tsv=snakemake.output.readable_ledger,
        **dict(snakemake.params.items()),
    )
