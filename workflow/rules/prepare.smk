# Before any cell: each interpreter's own venv (only those with `packages`), what each
# interpreter can do, and how much work fills each group. All hold every core, like the
# cells: a pip install beside a cell would disturb it as much as a measurement would.


rule build_interpreter_env:
    output:
        record=ENV_RECORD,
        venv=directory(ENV_DIR),
    log:
        "results/logs/envs/{machine}/{interpreter}.log",
    localrule: True
    conda:
        "../../environment.yml"
    threads: workflow.cores
    params:
        interpreter=interpreter_params,
    script:
        "../scripts/build_interpreter_env.py"


rule probe_interpreter:
    input:
        unpack(interpreter_env),
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


rule check_workload:
    input:
        unpack(workload_check_inputs),
    output:
        matrix.WORKLOAD_CHECK,
    log:
        "results/logs/workloads/{machine}/{interpreter}/{workload}.log",
    conda:
        "../../environment.yml"
    threads: workflow.cores
    params:
        interpreter=interpreter_params,
        spec=workload_check_spec,
        kernel_hash=KERNEL_HASH,
        source_hash=workload_source_hash,
    script:
        "../scripts/check_workload.py"


rule calibrate_work:
    input:
        unpack(calibration_inputs),
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
