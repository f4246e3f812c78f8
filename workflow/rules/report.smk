# The figures of the report, one rule each; `snakemake --report` gathers them.


rule plot_speedup:
    input:
        cells="results/aggregate/cells.tsv",
    output:
        report(
            "results/report/speedup.png",
            caption="../../report/captions/speedup.rst",
            category="3. Figures",
            labels={"figure": "speedup vs workers"},
        ),
    log:
        "results/logs/plot_speedup.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_speedup.py"


rule plot_winners:
    input:
        verdicts="results/stats/verdicts.tsv",
    output:
        report(
            "results/report/winners.png",
            caption="../../report/captions/winners.rst",
            category="2. Verdicts",
            labels={"figure": "winner map"},
        ),
    log:
        "results/logs/plot_winners.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_winners.py"


rule plot_startup:
    input:
        cells="results/aggregate/cells.tsv",
    output:
        report(
            "results/report/startup.png",
            caption="../../report/captions/startup.rst",
            category="3. Figures",
            labels={"figure": "start-up cost"},
        ),
    log:
        "results/logs/plot_startup.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_startup.py"


rule plot_drift:
    input:
        samples="results/aggregate/samples.parquet",
    output:
        report(
            "results/report/drift.png",
            caption="../../report/captions/drift.rst",
            category="4. The instrument",
            labels={"figure": "speed probe timeline"},
        ),
    log:
        "results/logs/plot_drift.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_drift.py"


rule plot_interpreters:
    input:
        cells="results/aggregate/cells.tsv",
        samples="results/aggregate/samples.parquet",
        verdicts="results/stats/verdicts.tsv",
    output:
        report(
            "results/report/interpreters.png",
            caption="../../report/captions/interpreters.rst",
            category="3. Figures",
            labels={"figure": "interpreters"},
        ),
    log:
        "results/logs/plot_interpreters.log",
    conda:
        "../../environment.yml"
    params:
        n_boot=SWEEP["bootstrap_resamples"],
        seed=SWEEP["seed"],
    script:
        "../scripts/plot_interpreters.py"
