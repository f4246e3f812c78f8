"""The catalogue of workloads: every kind the kernel can measure, by name.

Standard library only (see ``showdown/__init__.py``).
"""

from typing import Dict, List, Optional, Tuple

from .diskio import DiskScenario, io_disk_task
from .ipc import TransferScenario
from .locks import LockScenario
from .models import MODELS
from .netio import NET_MODELS, NetScenario, io_net_coroutine, io_net_task
from .registry import describe, load_models, register
from .scenarios import PoolScenario, StartupScenario
from .switch import SwitchScenario
from .usercode import CallableScenario, CallableWorkload, callable_coroutine, callable_task
from .worker import startup_task
from .workloads import (
    Workload,
    cpu_gil_released_task,
    cpu_pure_task,
    hash_updates,
    io_sleep_coroutine,
    io_sleep_task,
    shared_objects_task,
    shared_objects_unit,
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
            bound="cores",
            holds_gil=True,
        ),
        Workload(
            kind="shared_objects",
            task=shared_objects_task,
            coroutine=None,
            make_unit=shared_objects_unit,
            calibrated=True,
            description="the cpu_pure loop updating dicts, lists and attributes, a share of them shared by all threads",
            # sharing: the fraction of iterations on the shared objects (0 none, 1 all); one
            # workload entry per level, so that levels are workloads, not a new path segment.
            defaults={"iterations": 20_000, "sharing": 1.0},
            scenario=PoolScenario,
            bound="cores",
            holds_gil=True,
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
            bound="cores",
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
            bound="latency",
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
        Workload(
            kind="io_net",
            task=io_net_task,
            coroutine=io_net_coroutine,
            make_unit=lambda payload_bytes, params: None,  # the server's address, known in start
            calibrated=False,
            description="requests to a loopback server that answers after a fixed latency",
            # 1 request per connection and 1 server process: the first design, kept as the default
            # so that configs that set neither measure what they did.
            defaults={"latency_ms": 20.0, "tasks": 64, "requests_per_connection": 1, "server_processes": 1},
            scenario=NetScenario,
            accepts=NET_MODELS,
            bound="latency",
        ),
        Workload(
            kind="io_disk",
            task=io_disk_task,
            coroutine=None,
            make_unit=lambda payload_bytes, params: None,  # the cell's folder, made in start
            calibrated=False,
            description="write a payload-sized file, fsync it and read it back",
            defaults={"tasks": 64},
            scenario=DiskScenario,
        ),
        # Mechanism workloads run roles of their own, not pool tasks: no task, no unit.
        Workload(
            kind="ipc_transfer",
            task=None,
            coroutine=None,
            make_unit=None,
            calibrated=False,
            description="one producer hands payload-sized messages to one consumer",
            defaults={"tasks": 1000, "capacity": 16},
            scenario=TransferScenario,
            accepts=TransferScenario.model_names(),
        ),
        Workload(
            kind="lock_contention",
            task=None,
            coroutine=None,
            make_unit=None,
            calibrated=False,
            description="every worker increments one shared counter under one lock",
            defaults={"increments": 2000},
            scenario=LockScenario,
            accepts=LockScenario.model_names(),
        ),
        Workload(
            kind="switch_latency",
            task=None,
            coroutine=None,
            make_unit=None,
            calibrated=False,
            description="two workers pass a token back and forth",
            defaults={"tasks": 1000},
            scenario=SwitchScenario,
            accepts=SwitchScenario.model_names(),
        ),
        # The user's own function (usercode.py): calibrated like CPU work, but with no
        # known bound and no assumed GIL state; the cells measure both.
        CallableWorkload(
            kind="callable",
            task=callable_task,
            coroutine=callable_coroutine,
            make_unit=None,  # CallableWorkload builds its own arguments
            calibrated=True,
            description="the user's function (config: function, path, input, check)",
            defaults={"function": None, "path": None, "input": None, "check": None},
            scenario=CallableScenario,
        ),
    )
}


# The mechanisms are models of their own workloads only.
for _scenario in (TransferScenario, LockScenario, SwitchScenario):
    for _description in _scenario.descriptions():
        register(_description)

# The kinds by what bounds a speedup over serial: the rest of the pipeline reads these.
CPU_KINDS: Tuple[str, ...] = tuple(k for k, w in WORKLOADS.items() if w.bound == "cores")
LATENCY_KINDS: Tuple[str, ...] = tuple(k for k, w in WORKLOADS.items() if w.bound == "latency")
GIL_HOLDING_KINDS: Tuple[str, ...] = tuple(k for k, w in WORKLOADS.items() if w.holds_gil)

# ipc_transfer's channels by where their two sides live (ipc.WITHIN_PROCESS or
# BETWEEN_PROCESSES): a reference handed over is never compared with bytes moved.
TRANSFER_SCOPES: Dict[str, str] = TransferScenario.scopes()

# Every model name a config may use: the pool models, each workload's own mechanisms, and
# the models of the user's modules (which import this catalogue's models first).
load_models()
MODEL_NAMES: Tuple[str, ...] = tuple(sorted(set(MODELS).union(*(w.accepts or () for w in WORKLOADS.values()))))

# (kind, model) pairs that cannot run although the workload accepts models of their kind,
# with the reason the report shows.
NOT_APPLICABLE: Dict[Tuple[str, str], str] = {
    ("io_net", model): f"io_net runs its clients on {', '.join(NET_MODELS)}, not on {model}"
    for model in MODELS
    if model not in NET_MODELS
}
# Objects are shared between the threads of one process only: each process, and each
# subinterpreter, would update its own copies and measure private data under another name.
NOT_APPLICABLE.update({
    ("shared_objects", model): f"shared_objects shares objects between the threads of one process; {model} "
    "gives each worker its own copies"
    for model in MODELS
    if describe(model).own_interpreter
})  # fmt: skip


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
