"""aggregate_cells: all round files into one sample table, cell summaries and failures."""

import sys

from showdown.analysis import write_aggregate

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    write_aggregate(
        snakemake.input,
        samples_out=snakemake.output.samples,
        cells_out=snakemake.output.cells,
        failed_out=snakemake.output.failed,
        noisy_out=snakemake.output.noisy,
        memory_out=snakemake.output.memory,
        slow_phase_factor=snakemake.params.slow_phase_factor,
        precision=snakemake.params.precision,
        labels=snakemake.params.labels,
        labels_out=snakemake.output.labels,
    )
