"""plot_<figure>: draw one figure of the report (the rule's `figure` param names its
registry entry) from the rule's inputs."""

from contextlib import redirect_stderr

from showdown.figures import plot

if __name__ == "__main__":
    with open(snakemake.log[0], "w") as log, redirect_stderr(log):
        plot(snakemake.params.figure, dict(snakemake.input.items()), snakemake.output[0])
