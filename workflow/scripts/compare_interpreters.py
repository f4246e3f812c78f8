"""compare_interpreters: threads and subinterpreters against processes, per interpreter."""

from contextlib import redirect_stderr

from showdown.interpreter_gaps import write_interpreter_gaps

if __name__ == "__main__":
    with open(snakemake.log[0], "w") as log, redirect_stderr(log):
        write_interpreter_gaps(
            snakemake.input.samples, snakemake.output.gaps, **snakemake.params.ratio_options
        )
