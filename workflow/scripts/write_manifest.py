"""write_manifest: a label's round files, CPUs, config hash and commit, once all are measured."""

import os
import sys

import showdown
from showdown.sweep.labels import write_manifest

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: SIM115
    write_manifest(snakemake.output[0], round_files=list(snakemake.input), **snakemake.params.manifest,
                   package_dir=os.path.dirname(showdown.__file__))  # fmt: skip
