"""The measuring kernel: workloads, models, timing. Standard library only.

Run as ``python -m showdown.kernel``; see ``__main__`` for the commands. The names the
rest of the pipeline takes from the kernel are its door, below; they load on first use,
because worker processes started with spawn or forkserver import this package to unpickle
their tasks and must not pay for the whole catalogue.
"""

from .. import lazy_door

_DOOR = {
    "WORKLOADS": "catalogue", "MODEL_NAMES": "catalogue", "CPU_KINDS": "catalogue",
    "LATENCY_KINDS": "catalogue", "GIL_HOLDING_KINDS": "catalogue", "applicability_table": "catalogue",
    "not_applicable_reason": "catalogue", "TRANSFER_SCOPES": "catalogue", "MODELS": "models", "START_METHODS": "base",
    "LABEL_PATTERN": "sizes", "parse_size": "sizes", "size_label": "sizes", "hash_files": "usercode",
    "describe": "registry", "described": "registry", "ModelDescription": "registry", "base_model": "registry",
    "is_aa_copy": "registry", "AA_SUFFIX": "registry", "register_model": "models", "CALLER": "registry",
    "THREADS": "registry", "PROCESSES": "registry", "COROUTINES": "registry", "INTERPRETERS": "registry",
    "model_module_folders": "registry",
}  # fmt: skip


__getattr__ = lazy_door(__name__, _DOOR)

__all__ = sorted(_DOOR)
