"""Every model the kernel runs, described once: what its workers are, and what follows.

A model's name says nothing the rest of the pipeline reads: whether it pickles its tasks,
gives each worker its own interpreter or starts processes by one method is asked here
(:func:`describe`). The pool models register in ``models``, the mechanisms of ipc_transfer,
lock_contention and switch_latency in ``catalogue``; a model of one's own registers from a
module named in ``SHOWDOWN_MODEL_MODULES`` (comma-separated, importable from the
interpreter's path), which every process of a run imports: the workflow, the cell job, the
measured interpreter. README "Adding a model" shows one.

Standard library only (see ``showdown/__init__.py``).
"""

import importlib
import importlib.util
import os
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Tuple

# What a model's workers are.
CALLER = "caller"  # no worker: the measuring thread runs every task (serial)
THREADS = "threads"
PROCESSES = "processes"
COROUTINES = "coroutines"  # tasks on one event loop in one thread
INTERPRETERS = "interpreters"  # subinterpreters of one process, each with its own GIL
WORKER_KINDS = (CALLER, THREADS, PROCESSES, COROUTINES, INTERPRETERS)

# ``threads.aa`` runs ``threads`` again under another name: the A/A copy, a control.
AA_SUFFIX = ".aa"
MODULES_VARIABLE = "SHOWDOWN_MODEL_MODULES"


@dataclass(frozen=True)
class ModelDescription:
    """What runs when a model is measured."""

    name: str
    workers: str  # one of WORKER_KINDS
    start_method: Optional[str] = None  # of its processes
    # False for a mechanism that its own workload runs (a queue, a lock), not a pool of tasks.
    runs_tasks: bool = True
    aa_copy_of: Optional[str] = None  # the model it measures again, for an A/A copy
    origin: Optional[str] = None  # the user's module that registered it; None: the kernel's

    @property
    def base_model(self) -> str:
        """The model the kernel runs: itself, or the one an A/A copy repeats."""
        return self.aa_copy_of or self.name

    @property
    def own_interpreter(self) -> bool:
        """Each worker its own interpreter, objects and GIL: processes and subinterpreters."""
        return self.workers in (PROCESSES, INTERPRETERS)

    @property
    def pickles(self) -> bool:
        """Whether a task and its argument reach a worker pickled (and so must pickle)."""
        return self.own_interpreter


_DESCRIPTIONS: Dict[str, ModelDescription] = {}
_loaded = False
_importing: Optional[str] = None  # the user's module being imported, if any


def register(description: ModelDescription) -> None:
    if description.workers not in WORKER_KINDS:
        raise ValueError(f"model {description.name!r}: workers {description.workers!r} is not one of {WORKER_KINDS}")
    if description.name.endswith(AA_SUFFIX):
        raise ValueError(f"model {description.name!r}: {AA_SUFFIX} names the A/A copy of a model")
    _DESCRIPTIONS[description.name] = replace(description, origin=_importing) if _importing else description


def base_model(name: str) -> str:
    """The model a name runs, known or not: ``threads.aa`` -> ``threads``."""
    return name[: -len(AA_SUFFIX)] if name.endswith(AA_SUFFIX) else name


def is_aa_copy(name: str) -> bool:
    return name.endswith(AA_SUFFIX)


def load_models() -> None:
    """Every model registered: the kernel's own, then those of ``SHOWDOWN_MODEL_MODULES``."""
    global _loaded, _importing
    if _loaded:
        return
    _loaded = True
    importlib.import_module(".catalogue", __package__)
    for module in model_modules():
        _importing = module
        try:
            importlib.import_module(module)
        finally:
            _importing = None


def model_modules() -> List[str]:
    return [name.strip() for name in os.environ.get(MODULES_VARIABLE, "").split(",") if name.strip()]


def model_module_folders() -> List[str]:
    """The folders the modules of ``SHOWDOWN_MODEL_MODULES`` import from, found (not imported)
    here: the measured interpreter gets them on its path, with the kernel."""
    folders: List[str] = []
    for module in model_modules():
        top = module.split(".")[0]
        spec = importlib.util.find_spec(top)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"{MODULES_VARIABLE}: no module named {top!r} on this interpreter's path")
        if spec.submodule_search_locations:
            folder = os.path.dirname(list(spec.submodule_search_locations)[0])
        else:
            folder = os.path.dirname(spec.origin)
        if folder not in folders:
            folders.append(folder)
    return folders


def describe(name: str) -> ModelDescription:
    """The description of a model, or of the model an A/A copy repeats; KeyError if unknown."""
    if base_model(name) not in _DESCRIPTIONS:
        load_models()
    try:
        description = _DESCRIPTIONS[base_model(name)]
    except KeyError:
        raise KeyError(
            f"unknown model {name!r}; known: {', '.join(sorted(_DESCRIPTIONS))} (a model of your own: name "
            f"its module in {MODULES_VARIABLE})"
        ) from None
    return replace(description, name=name, aa_copy_of=description.name) if is_aa_copy(name) else description


def described() -> Tuple[ModelDescription, ...]:
    """Every registered model, by name."""
    load_models()
    return tuple(_DESCRIPTIONS[name] for name in sorted(_DESCRIPTIONS))
