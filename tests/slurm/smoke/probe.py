import json
import os
import socket

# SLURM_JOB_ID is in the job's environment (the jobstep plugin keeps it for the srun
# step that runs this script); absent for localrules.
json.dump(
    {
        "rule": snakemake.rule,
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "host": socket.gethostname(),
        "affinity": sorted(os.sched_getaffinity(0)),
        "threads": snakemake.threads,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    },
    open(snakemake.output[0], "w"),
)
