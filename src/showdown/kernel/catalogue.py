"""The catalogue of workloads: every kind the kernel can measure, by name.

Standard library only (see ``showdown/__init__.py``).
"""

from typing import Dict, List, Optional, Tuple

from .models import MODELS

from .scenarios import PoolScenario, StartupScenario
from .workloads import (
    Workload,
    cpu_gil_released_task,
    cpu_pure_task,
    hash_updates,
    io_sleep_coroutine,
    io_sleep_task,
    startup_task,
)

WORKLOADS: Dict[str, Workload] = {
    w.kind: w
    for w in (
        Workload(
            kind="cpu_pure",
            task=cpu_pure_task,
            coroutine=None,
            make_unit=lambda payload_bytes, params: int(params["iterations"]),
            calibrated=True,
            description="pure-Python loop holding the GIL",
            defaults={"iterations": 20_000},
            scenario=PoolScenario,
        ),
        Workload(
            kind="cpu_gil_released",
            task=cpu_gil_released_task,
            coroutine=None,
            make_unit=hash_updates,
            calibrated=True,
            description="hashlib.sha256 over payload-sized buffers (releases the GIL above 2 KiB)",
            defaults={"bytes_per_task": 1 << 20},
            scenario=PoolScenario,
        ),
        Workload(
            kind="io_sleep",
            task=io_sleep_task,
            coroutine=io_sleep_coroutine,
            make_unit=lambda payload_bytes, params: float(params["latency_ms"]) / 1000.0,
            calibrated=False,
            description="a fixed latency per task (time.sleep, or asyncio.sleep on the event loop)",
            defaults={"latency_ms": 10.0, "tasks": 16},
            scenario=PoolScenario,
        ),
        Workload(
            kind="startup",
            task=startup_task,
            coroutine=None,
            make_unit=lambda payload_bytes, params: None,
            calibrated=False,
            description="start the workers and run one no-op task on each",
            scenario=StartupScenario,
        ),
    )
}




# Every model name a config may use: the pool models and each workload's own mechanisms.
MODEL_NAMES: Tuple[str, ...] = tuple(
    sorted(set(MODELS).union(*(w.accepts or () for w in WORKLOADS.values())))
)

# (kind, model) pairs that cannot run although the workload accepts the model's family,
# with the reason the report shows.
NOT_APPLICABLE: Dict[Tuple[str, str], str] = {}


def not_applicable_reason(kind: str, model: str) -> Optional[str]:
    """Why a model cannot run a workload kind, or None: the one applicability table."""
    if (kind, model) in NOT_APPLICABLE:
        return NOT_APPLICABLE[(kind, model)]
    accepts = WORKLOADS[kind].accepts
    if accepts is None and model not in MODELS:
        owners = sorted(k for k, w in WORKLOADS.items() if w.accepts and model in w.accepts)
        return f"{model} is a mechanism of {', '.join(owners)}, not a pool that runs tasks"
    if accepts is not None and model not in accepts:
        return f"{kind} measures its own mechanisms ({', '.join(accepts)}), not {model}"
    return None


def applicability_table() -> List[Dict[str, Optional[str]]]:
    """Every (kind, model) pair: whether it runs, and if not, why."""
    return [
        {"kind": kind, "model": model, "reason": not_applicable_reason(kind, model)}
        for kind in sorted(WORKLOADS)
        for model in MODEL_NAMES
    ]
