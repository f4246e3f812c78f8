"""The catalogue of workloads: every kind the kernel can measure, by name.

Standard library only (see ``showdown/__init__.py``).
"""

from typing import Dict

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


