# The measurement: one job per (cell, round), chained in each work group's shuffled order.


rule run_cell:
    input:
        unpack(cell_inputs),
    output:
        matrix.CELL,
    log:
        matrix.CELL_LOG,
    conda:
        "../../environment.yml"
    # Nothing runs beside a measuring job: on 2 cores a pandas job next to a 2-worker
    # cell looks exactly like a slow phase of the machine.
    threads: workflow.cores
    resources:
        runtime=cell_runtime_minutes,
        mem_mb=cell_mem_mb,
    params:
        request=cell_request,
    # A command, not a `script:`: that form imports Snakemake into every cell job first.
    shell:
        '"$SHOWDOWN_PYTHON" -m showdown.cell.run {output:q} {params.request:q} > {log:q} 2>&1'


checkpoint plan_round:
    input:
        round_plan_inputs,
    output:
        matrix.ROUND_PLAN,
    log:
        "results/logs/rounds/{machine}/after_r{round}.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        alpha=SWEEP["alpha"],
        margin=SWEEP["margin"],
        base_rounds=BASE_ROUNDS,
        max_rounds=MAX_ROUNDS,
        extra_seconds=SWEEP["rounds"]["extra_seconds"],
    script:
        "../scripts/plan_round.py"


# Only real runs call it (not -n), before the first job.
onstart:
    refuse_to_measure_for_another_machine()


# Once every round of a label is measured: what it measured, for another tree to take it in.
rule write_manifest:
    input:
        manifest_inputs,
    output:
        paths.MANIFEST,
    log:
        "results/logs/manifest/{machine}.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        manifest=manifest_params,
    script:
        "../scripts/write_manifest.py"
