# After every cell: aggregate the round files, then the statistics.


rule aggregate_cells:
    input:
        all_round_files,
    output:
        samples=report(
            "results/aggregate/samples.parquet",
            caption="../../report/captions/samples.rst",
            category="6. Data",
        ),
        cells=report(
            "results/aggregate/cells.tsv",
            caption="../../report/captions/cells.rst",
            category="6. Data",
        ),
        failed=report(
            "results/aggregate/failed.tsv",
            caption="../../report/captions/failed.rst",
            category="5. Failed, noisy and not applicable",
        ),
        noisy=report(
            "results/aggregate/noisy.tsv",
            caption="../../report/captions/noisy.rst",
            category="5. Failed, noisy and not applicable",
        ),
        memory=report(
            "results/aggregate/memory_slopes.tsv",
            caption="../../report/captions/memory_slopes.rst",
            category="6. Data",
        ),
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
    script:
        "../scripts/aggregate_cells.py"


rule compare_models:
    input:
        samples="results/aggregate/samples.parquet",
    output:
        verdicts=report(
            "results/stats/verdicts.tsv",
            caption="../../report/captions/verdicts.rst",
            category="2. Verdicts",
        ),
        verdicts_parquet="results/stats/verdicts.parquet",
        pairs="results/stats/pairs.tsv",
        aa=report(
            "results/stats/aa_control.tsv",
            caption="../../report/captions/aa_control.rst",
            category="4. The instrument",
        ),
        false_win=report(
            "results/stats/false_win_rate.tsv",
            caption="../../report/captions/false_win_rate.rst",
            category="4. The instrument",
        ),
        families="results/stats/families.tsv",
        noise_by_kind=report(
            "results/stats/noise_by_kind.tsv",
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
        samples="results/aggregate/samples.parquet",
    output:
        gaps="results/stats/interpreter_gaps.tsv",
    log:
        "results/logs/compare_interpreters.log",
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/compare_interpreters.py"


rule summarize_user_workloads:
    input:
        cells="results/aggregate/cells.tsv",
        samples="results/aggregate/samples.parquet",
        verdicts="results/stats/verdicts.tsv",
    output:
        report(
            "results/stats/user_workloads.tsv",
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
        samples="results/aggregate/samples.parquet",
    output:
        report(
            "results/matrix/not_applicable.tsv",
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
        samples="results/aggregate/samples.parquet",
    output:
        ledger=report(
            "results/claims/ledger.tsv",
            caption="../../report/captions/ledger.rst",
            category="1. Claim ledger",
        ),
        points="results/claims/points.tsv",
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
            "results/matrix/applicability.tsv",
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
