"""Workloads that measure a mechanism rather than a pool: a channel, a lock, a token hand-off.

The article under test says that processes share only through Pipe, Queue, Manager, Value
and Array, that thread locks and process locks differ, and that threads switch faster than
processes. Each claim is one workload here, and each of its models names one mechanism:

* ``ipc_transfer``: one producer hands ``tasks`` payload-sized messages to one consumer.
* ``lock_contention``: ``workers`` workers each increment one counter ``increments`` times
  under one lock.
* ``switch_latency``: two workers pass a token back and forth ``tasks`` times.

A workload is one ``MechanismScenario`` subclass (in ``ipc``, ``locks``, ``switch``). Its mechanisms differ only in the objects
that the same role functions are handed (a channel; a lock and a counter; two endpoints)
and in who runs the roles: threads or processes of a ``Crew``, started once in ``start``
and told to go at each batch, or coroutines on one event loop (``CoroutineCrew``). Model
names are ``<mechanism>`` for threads and coroutines and ``<mechanism>-<start method>`` for
processes, so the report can put start methods side by side as it does for pools.

Standard library only (see ``showdown/__init__.py``).
"""

import multiprocessing
import multiprocessing.connection
from contextlib import ExitStack
from typing import Any, Callable, ClassVar, Dict, List, Optional, Tuple

from .crews import CoroutineCrew, Crew, Role, require_model, start_context
from .models import START_METHODS, NotApplicable
from .registry import COROUTINES, PROCESSES, ModelDescription
from .scenarios import Scenario

# ---------------------------------------------------------------------------------------
# The scenario every mechanism workload shares
# ---------------------------------------------------------------------------------------


class MechanismScenario(Scenario):
    """A workload whose models are mechanisms, each run by threads, processes or coroutines.

    Subclasses fill ``MECHANISMS`` (mechanism -> (who runs it, the method that makes its
    objects)) and ``roles`` (what each worker does with those objects). Everything the
    objects need released goes on ``self.resources``; ``stop`` stops the workers first,
    then releases them, whatever failed before.
    """

    MECHANISMS: ClassVar[Dict[str, Tuple[str, str]]] = {}
    repeatable = True
    # Workers the workload needs (producer and consumer, ping and pong); None: any count.
    fixed_workers: Optional[int] = None
    crew: Any = None
    objects: Any = None

    @classmethod
    def descriptions(cls) -> Tuple[ModelDescription, ...]:
        """The workload's models: each mechanism, a process one once per start method."""
        found: List[ModelDescription] = []
        for mechanism, (runner, _) in cls.MECHANISMS.items():
            if runner == PROCESSES:
                found += [
                    ModelDescription(f"{mechanism}-{method}", runner, method, runs_tasks=False)
                    for method in START_METHODS
                ]
            else:
                found.append(ModelDescription(mechanism, runner, runs_tasks=False))
        return tuple(found)

    @classmethod
    def model_names(cls) -> Tuple[str, ...]:
        return tuple(description.name for description in cls.descriptions())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.workload.kind
        require_model(kind, self.model_name, self.model_names())
        if self.fixed_workers is not None and self.workers != self.fixed_workers:
            raise NotApplicable(f"{kind} runs exactly {self.fixed_workers} workers, one per side; not {self.workers}")
        mechanism, _, method = self.model_name.partition("-")
        self.runner, maker = self.MECHANISMS[mechanism]
        self.make_objects = getattr(self, maker)
        self.start_method = method or None
        self.context = start_context(method) if method else None
        self.resources = ExitStack()

    def roles(self, objects: Any) -> List[Role]:
        raise NotImplementedError

    @property
    def batch_tasks(self) -> int:
        """The tasks of a whole batch: ``tasks`` per run of the crew, ``repeats`` runs."""
        return self.tasks * self.repeats

    def run_crew(self) -> List[List[Any]]:
        """Every role's answer to each of ``repeats`` runs of the crew, in the clock: the
        same batch as one run, repeated (each run's go and answer cost microseconds, as
        one run's always did)."""
        return [self.crew.run() for _ in range(self.repeats)]

    def by_runner(self, blocking: Callable[..., Any], coroutine: Callable[..., Any]) -> Callable[..., Any]:
        """The role function that suits the runner: the coroutine function on the event loop."""
        return coroutine if self.runner == COROUTINES else blocking

    def start(self):
        self.crew = CoroutineCrew() if self.runner == COROUTINES else Crew(self.context)
        self.crew.start(self._make_roles)

    def _make_roles(self) -> List[Role]:
        # Held until stop: a Manager frees an object as soon as no proxy in this process
        # refers to it, even while a spawned child has yet to unpickle its own proxy.
        self.objects = self.make_objects()
        return self.roles(self.objects)

    def stop(self):
        try:
            if self.crew is not None:
                self.crew.stop()
        finally:
            self.resources.close()

    def manager(self):
        """A Manager of this start method (a server process), shut down in ``stop``."""
        manager = self.context.Manager()
        self.resources.callback(manager.shutdown)
        return manager

    def pipe(self, duplex: bool):
        """A Pipe's two Connections, closed in ``stop``."""
        # Threads have no start method; a Pipe between two threads is the same OS object.
        ends = (self.context or multiprocessing).Pipe(duplex=duplex)
        for end in ends:
            self.resources.callback(end.close)
        return ends
