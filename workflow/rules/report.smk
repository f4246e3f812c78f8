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
    localrule: True
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
    localrule: True
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
    localrule: True
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
    localrule: True
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
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_interpreters.py"


rule plot_memory:
    input:
        cells="results/aggregate/cells.tsv",
    output:
        report(
            "results/report/memory.png",
            caption="../../report/captions/memory.rst",
            category="3. Figures",
            labels={"figure": "peak memory vs workers"},
        ),
    log:
        "results/logs/plot_memory.log",
    # Analysis, not measurement: on a cluster it runs on the submit host like the others.
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_memory.py"


rule plot_ipc:
    input:
        cells="results/aggregate/cells.tsv",
    output:
        report(
            "results/report/ipc.png",
            caption="../../report/captions/ipc.rst",
            category="3. Figures",
            labels={"figure": "inter-process transfer"},
        ),
    log:
        "results/logs/plot_ipc.log",
    # Analysis, not measurement: on a cluster it runs on the submit host like the others.
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_ipc.py"


rule plot_switch:
    input:
        cells="results/aggregate/cells.tsv",
    output:
        report(
            "results/report/switch.png",
            caption="../../report/captions/switch.rst",
            category="3. Figures",
            labels={"figure": "switch latency"},
        ),
    log:
        "results/logs/plot_switch.log",
    # Analysis, not measurement: on a cluster it runs on the submit host like the others.
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_switch.py"


rule plot_locks:
    input:
        cells="results/aggregate/cells.tsv",
    output:
        report(
            "results/report/locks.png",
            caption="../../report/captions/locks.rst",
            category="3. Figures",
            labels={"figure": "lock contention"},
        ),
    log:
        "results/logs/plot_locks.log",
    # Analysis, not measurement: on a cluster it runs on the submit host like the others.
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_locks.py"


rule plot_io:
    input:
        cells="results/aggregate/cells.tsv",
    output:
        report(
            "results/report/io.png",
            caption="../../report/captions/io.rst",
            category="3. Figures",
            labels={"figure": "I/O throughput vs workers"},
        ),
    log:
        "results/logs/plot_io.log",
    # Analysis, not measurement: on a cluster it runs on the submit host like the others.
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/plot_io.py"
