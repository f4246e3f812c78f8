# The figures of the report: one rule per entry of the registry in showdown.figures, all
# served by one script; `snakemake --report` gathers them. A new figure is a draw
# function, a registry entry and a caption: nothing here changes.
from showdown.figures import FIGURES

for figure in FIGURES:

    rule:
        name:
            figure.rule
        input:
            **figure.inputs,
        output:
            report(
                figure.output,
                caption=f"../../{figure.caption}",
                category=figure.category,
                labels=figure.labels,
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
