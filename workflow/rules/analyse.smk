# After every cell: aggregate the round files, then the statistics.


rule aggregate_cells:
    input:
        all_round_files,
    output:
        samples=report(
            paths.SAMPLES,
            caption="../../report/captions/samples.rst",
            category="6. Data",
        ),
        cells=report(
            paths.CELLS,
            caption="../../report/captions/cells.rst",
            category="6. Data",
        ),
        failed=report(
            paths.FAILED,
            caption="../../report/captions/failed.rst",
            category="5. Failed, noisy and not applicable",
        ),
        noisy=report(
            paths.NOISY,
            caption="../../report/captions/noisy.rst",
            category="5. Failed, noisy and not applicable",
        ),
        memory=report(
            paths.MEMORY_SLOPES,
            caption="../../report/captions/memory_slopes.rst",
            category="6. Data",
        ),
        labels=paths.LABELS,
    log:
        "results/logs/aggregate_cells.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        slow_phase_factor=SWEEP["slow_phase_factor"],
        precision=SWEEP["precision"],
        disturbed_share=SWEEP["disturbed_share"],
        cells=cell_set(),
        labels=analysed_labels(),
    script:
        "../scripts/aggregate_cells.py"


rule compare_models:
    input:
        samples=paths.SAMPLES,
    output:
        verdicts=report(
            paths.VERDICTS,
            caption="../../report/captions/verdicts.rst",
            category="2. Verdicts",
        ),
        verdicts_parquet=paths.VERDICTS_PARQUET,
        pairs=paths.PAIRS,
        aa=report(
            paths.AA_CONTROL,
            caption="../../report/captions/aa_control.rst",
            category="4. The instrument",
        ),
        false_win=report(
            paths.FALSE_WIN_RATE,
            caption="../../report/captions/false_win_rate.rst",
            category="4. The instrument",
        ),
        families=paths.FAMILIES,
        noise_by_kind=report(
            paths.NOISE_BY_KIND,
            caption="../../report/captions/noise_by_kind.rst",
            category="4. The instrument",
        ),
    log:
        "results/logs/compare_models.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        alpha=SWEEP["alpha"],
        margin=SWEEP["margin"],
        aa_spread=AA_SPREAD,
    script:
        "../scripts/compare_models.py"


rule compare_interpreters:
    input:
        samples=paths.SAMPLES,
    output:
        gaps=paths.INTERPRETER_GAPS,
    log:
        "results/logs/compare_interpreters.log",
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/compare_interpreters.py"


rule summarize_user_workloads:
    input:
        cells=paths.CELLS,
        samples=paths.SAMPLES,
        verdicts=paths.VERDICTS,
    output:
        report(
            paths.USER_WORKLOADS,
            caption="../../report/captions/user_workloads.rst",
            category="2. Verdicts",
        ),
    log:
        "results/logs/summarize_user_workloads.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        functions=user_functions(),
        entries=user_entries(),
    script:
        "../scripts/summarize_user_workloads.py"


rule list_not_applicable:
    input:
        samples=paths.SAMPLES,
    output:
        report(
            paths.NOT_APPLICABLE,
            caption="../../report/captions/not_applicable.rst",
            category="5. Failed, noisy and not applicable",
        ),
    log:
        "results/logs/list_not_applicable.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        declared=declared_not_applicable(),
    script:
        "../scripts/list_not_applicable.py"


rule judge_claims:
    input:
        claims=CLAIMS_FILE,
        samples=paths.SAMPLES,
    output:
        ledger=report(
            paths.LEDGER,
            caption="../../report/captions/ledger.rst",
            category="1. Claim ledger",
        ),
        points=paths.CLAIM_POINTS,
    log:
        "results/logs/judge_claims.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        alpha=SWEEP["alpha"],
        # Declared, as the verdicts' is: the same margin for the same metric.
        margin=SWEEP["margin"],
    script:
        "../scripts/judge_claims.py"


rule list_applicability:
    output:
        report(
            paths.APPLICABILITY,
            caption="../../report/captions/applicability.rst",
            category="5. Failed, noisy and not applicable",
        ),
    log:
        "results/logs/list_applicability.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        kernel_hash=KERNEL_HASH,
    script:
        "../scripts/list_applicability.py"
