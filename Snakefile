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


# On a cluster, every rule but the measuring ones (probe, workload check, calibration, cells) says
# `localrule: True`: it runs on the submit host.
rule all:
    default_target: True
    input:
        final_outputs(),
    localrule: True
