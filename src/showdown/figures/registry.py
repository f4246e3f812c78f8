"""Every figure of the report, as data: one entry per figure.

An entry names the figure, its draw function, its inputs (a table name -> a results path;
the draw function takes one table per name), its report category and labels. The rest
follows from the name: the caption ``report/captions/<name>.rst``, the PNG
``results/report/<name>.png``, the rule ``plot_<name>`` and its log. The workflow
defines one rule per entry (workflow/rules/report.smk) and asks for every PNG
(``final_outputs``).

Standard library only: Snakemake imports this module whenever it reads the workflow, and
matplotlib or seaborn would add seconds to every start. A draw function is named here as
"module.function" inside this package and imported only when it draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import paths
from ..paths import CELLS, CLAIM_POINTS, INTERPRETER_GAPS, LEDGER, MEMORY_SLOPES, SAMPLES, VERDICTS  # noqa: F401


@dataclass(frozen=True)
class Entry:
    name: str
    draw: str  # "module.function" in showdown.figures
    inputs: dict[str, str]
    category: str
    labels: dict[str, str]
    # False for a figure the front page embeds itself: the report then carries it once.
    in_report: bool = True

    @property
    def caption(self) -> str:
        return f"report/captions/{self.name}.rst"

    @property
    def output(self) -> str:
        return paths.figure(self.name)

    @property
    def rule(self) -> str:
        return f"plot_{self.name}"

    @property
    def log(self) -> str:
        return paths.log(f"plot_{self.name}")


# In the order of the report's rules and of `final_outputs`.
FIGURES = (
    Entry(
        name="speedup",
        draw="speedup.draw_speedup",
        inputs={"cells": CELLS},
        category="3. Figures",
        labels={"figure": "speedup vs workers"},
    ),
    Entry(
        name="winners",
        draw="winners.draw_winners",
        inputs={"verdicts": VERDICTS},
        category="2. Verdicts",
        labels={"figure": "winner map"},
        in_report=False,
    ),
    Entry(
        name="forest",
        draw="forest.draw_forest",
        inputs={"verdicts": VERDICTS, "points": CLAIM_POINTS, "ledger": LEDGER},
        category="2. Verdicts",
        labels={"figure": "every comparison and claim (forest plot)"},
    ),
    Entry(
        name="startup",
        draw="speedup.draw_startup",
        inputs={"cells": CELLS},
        category="3. Figures",
        labels={"figure": "start-up cost"},
    ),
    Entry(
        name="drift",
        draw="drift.draw_drift",
        inputs={"samples": SAMPLES},
        category="4. The instrument",
        labels={"figure": "speed probe timeline"},
    ),
    Entry(
        name="interpreters",
        draw="interpreters.draw_interpreters",
        inputs={"cells": CELLS, "gaps": INTERPRETER_GAPS, "verdicts": VERDICTS},
        category="3. Figures",
        labels={"figure": "interpreters"},
    ),
    Entry(
        name="memory",
        draw="memory.draw_memory",
        inputs={"cells": CELLS},
        category="3. Figures",
        labels={"figure": "peak memory per model"},
    ),
    Entry(
        name="memory_per_worker",
        draw="memory.draw_memory_per_worker",
        inputs={"memory": MEMORY_SLOPES},
        category="3. Figures",
        labels={"figure": "memory per added worker"},
    ),
    Entry(
        name="ipc",
        draw="mechanisms.draw_ipc",
        inputs={"cells": CELLS},
        category="3. Figures",
        labels={"figure": "transfer between workers"},
    ),
    Entry(
        name="switch",
        draw="mechanisms.draw_switch",
        inputs={"cells": CELLS},
        category="3. Figures",
        labels={"figure": "switch latency"},
    ),
    Entry(
        name="locks",
        draw="mechanisms.draw_locks",
        inputs={"cells": CELLS},
        category="3. Figures",
        labels={"figure": "lock contention"},
    ),
    Entry(
        name="io",
        draw="io.draw_io",
        inputs={"cells": CELLS, "memory": MEMORY_SLOPES},
        category="3. Figures",
        labels={"figure": "I/O throughput vs workers"},
    ),
)
BY_NAME = {entry.name: entry for entry in FIGURES}
