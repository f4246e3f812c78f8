# The figures of the report: one rule per entry of the registry in showdown.figures, all
# served by one script; `snakemake --report` gathers them. A new figure is a draw
# function, a registry entry and a caption: nothing here changes.
from showdown.figures import BY_NAME, FIGURES

for figure in FIGURES:

    rule:
        name:
            figure.rule
        input:
            **figure.inputs,
        output:
            (
                report(
                    figure.output,
                    caption=f"../../{figure.caption}",
                    category=figure.category,
                    labels=figure.labels,
                )
                if figure.in_report
                else figure.output
            ),
        log:
            figure.log,
        # Analysis, not measurement: on a cluster it runs on the submit host like the others.
        localrule: True
        conda:
            "../../environment.yml"
        params:
            figure=figure.name,
        script:
            "../scripts/plot_figure.py"


# The report's front page: workflow.rst sees only the config, so the findings made from the
# results are written here, as rst that workflow.rst includes (with the winner map embedded).
rule write_findings:
    input:
        unpack(user_workload_inputs),
        verdicts_tsv=paths.VERDICTS,
        families_tsv=paths.FAMILIES,
        cells_tsv=paths.CELLS,
        ledger_tsv=paths.LEDGER,
        false_win_tsv=paths.FALSE_WIN_RATE,
        noise_by_kind_tsv=paths.NOISE_BY_KIND,
        samples_parquet=paths.SAMPLES,
        winner_map=BY_NAME["winners"].output,
    output:
        findings=paths.FINDINGS,
        guide=report(
            paths.GUIDE,
            caption="../../report/captions/guide.rst",
            category="1. Claim ledger",
            labels={"table": "which model for my work"},
        ),
        readable_ledger=report(
            paths.READABLE_LEDGER,
            caption="../../report/captions/readable_ledger.rst",
            category="1. Claim ledger",
            labels={"table": "the ledger, readable"},
        ),
    log:
        "results/logs/write_findings.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        # The front page links to each figure by its name: results/report/figure_links.rst
        # (write_tables) makes these links open the figure.
        figure_targets={entry.name: entry.name for entry in FIGURES if entry.in_report},
        # Versions of one function (versions_of): one row of the guide, side by side.
        versions={
            label: entry.versions_of
            for label, entry in SWEEP.workloads.items()
            if entry.versions_of
        },
    script:
        "../scripts/write_findings.py"


# The tables to sort and search in the page (Snakemake offers a TSV only as a download).
rule write_tables:
    input:
        guide_tsv=paths.GUIDE,
        ledger_tsv=paths.LEDGER,
        verdicts_tsv=paths.VERDICTS,
        cells_tsv=paths.CELLS,
    output:
        page=report(
            paths.TABLES,
            caption="../../report/captions/tables.rst",
            category="1. Claim ledger",
            labels={"table": "every table, to sort and search"},
        ),
        figure_links=paths.FIGURE_LINKS,
    log:
        "results/logs/write_tables.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        # What the front page opens in place: each figure by its name, and this page.
        links={
            **{entry.name: entry.output for entry in FIGURES if entry.in_report},
            "tables": paths.TABLES,
        },
    script:
        "../scripts/write_tables.py"


# The front page's "where these numbers come from": commit, config, dates, machine, the
# margin's source, precision and flagged cells, per machine · interpreter.
rule write_provenance:
    input:
        samples_parquet=paths.SAMPLES,
        cells_tsv=paths.CELLS,
        verdicts_tsv=paths.VERDICTS,
        false_win_tsv=paths.FALSE_WIN_RATE,
    output:
        provenance_tsv=report(
            paths.PROVENANCE,
            caption="../../report/captions/provenance.rst",
            category="6. Data",
        ),
        provenance_rst_path=paths.PROVENANCE_RST,
    log:
        "results/logs/write_provenance.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        precision=SWEEP["precision"],
    script:
        "../scripts/write_provenance.py"
