"""plot_<figure>: draw one figure of the report (the rule's `figure` param names its
registry entry) from the rule's inputs."""

import sys

from showdown.figures import plot

if __name__ == "__main__":
    # Left open: an uncaught error's traceback is written at exit, into the log.
    sys.stderr = open(snakemake.log[0], "w")
    plot(snakemake.params.figure, dict(snakemake.input.items()), snakemake.output[0])
