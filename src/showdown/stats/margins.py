"""The margin: the smallest difference worth a verdict, declared before a run.

A margin is a choice about what matters to the reader, not a measurement: the round-level
interval already carries the run's noise, so a margin drawn from the run (as the A/A spread
once was) would count that noise twice against every win and make "equivalent" easier the
noisier the run. It is declared per metric (wall time, CPU, memory), with an optional
override per workload, and is symmetric on the log scale: a ratio counts when it lies below
``1 - m`` or above ``1 / (1 - m)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# What each measured metric is judged as.
MARGIN_METRICS = ("wall", "cpu", "memory")
METRIC_MARGIN = {
    "wall_seconds": "wall",
    "seconds_per_task": "wall",
    "cpu_per_wall": "cpu",
    "cpu_seconds_per_task": "cpu",
    "peak_pss_bytes": "memory",
}
DEFAULT_MARGIN = 0.05


@dataclass(frozen=True)
class Margins:
    """The declared margins: one per metric, and per-workload overrides of any of them."""

    wall: float = DEFAULT_MARGIN
    cpu: float = DEFAULT_MARGIN
    memory: float = DEFAULT_MARGIN
    workloads: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, value) -> Margins:
        """From the config's ``margin``: one number for every metric, or a mapping."""
        if isinstance(value, Margins):
            return value
        if isinstance(value, (int, float)):
            return cls(float(value), float(value), float(value))
        value = dict(value or {})
        workloads = {name: dict(override) for name, override in (value.pop("workloads", None) or {}).items()}
        return cls(**{key: float(number) for key, number in value.items()}, workloads=workloads)

    def to_config(self) -> dict:
        return {"wall": self.wall, "cpu": self.cpu, "memory": self.memory,
                "workloads": {name: dict(o) for name, o in self.workloads.items()}}  # fmt: skip

    def of(self, metric: str, workload: str | None = None) -> float:
        """The margin a comparison of ``metric`` (a sample column or wall/cpu/memory) on ``workload`` is judged at."""
        which = METRIC_MARGIN.get(metric, metric)
        if which not in MARGIN_METRICS:
            raise ValueError(f"metric: {metric!r}; allowed: {', '.join([*MARGIN_METRICS, *METRIC_MARGIN])}")
        override = self.workloads.get(workload, {}) if workload is not None else {}
        return float(override.get(which, getattr(self, which)))

    def of_all(self, metric: str, workloads: Iterable[str]) -> float:
        """One margin for a comparison pooled over several workloads: the largest of theirs,
        so that a win over them is a win at each one's margin."""
        found = [self.of(metric, w) for w in set(workloads)]
        return max(found) if found else self.of(metric)


def margin_text(margin: float) -> str:
    """How a reading names its margin: "+-5%"."""
    return f"±{100 * margin:.3g}%"
