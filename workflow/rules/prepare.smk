# Before any cell: what each interpreter can do, and how much work fills each group.
# Both measure, so both hold every core, like the cells.


rule probe_interpreter:
    output:
        matrix.PROBE,
    log:
        "results/logs/probe/{machine}/{interpreter}.log",
    conda:
        "../../environment.yml"
    threads: workflow.cores
    params:
        interpreter=interpreter_params,
        kernel_hash=KERNEL_HASH,
    script:
        "../scripts/probe_interpreter.py"


rule calibrate_work:
    input:
        probe=matrix.PROBE,
    output:
        matrix.CALIBRATION,
    log:
        "results/logs/calibration/{machine}/{interpreter}/{workload}/p{payload}.log",
    conda:
        "../../environment.yml"
    threads: workflow.cores
    params:
        interpreter=interpreter_params,
        spec=calibration_params,
        kernel_hash=KERNEL_HASH,
    script:
        "../scripts/calibrate_work.py"
