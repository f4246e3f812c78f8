# showdown: where Python threading, multiprocessing and asyncio win, measured.
# A table of contents: the stages live in workflow/rules/, the real code in src/showdown/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/prepare.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/report.smk"


# On a cluster, everything but the measurements runs on the submit host.
localrules:
    all,
    plan_round,
    aggregate_cells,
    compare_models,
    list_not_applicable,
    list_applicability,
    plot_speedup,
    plot_winners,
    plot_startup,
    plot_drift,


rule all:
    default_target: True
    input:
        final_outputs(),
