"""Provenance the measured interpreter knows about itself and its machine.

Small ``collect_*`` functions, each filling one part of a dict, in the manner of pyperf.
Standard library only (see ``showdown/__init__.py``).
"""

import multiprocessing
import os
import platform
import socket
import sys
from typing import Any, Dict, Optional


def gil_enabled() -> bool:
    """False only on a free-threaded build that really runs without the GIL."""
    probe = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


# The variables that size the thread pools of numerical libraries (OpenMP, GotoBLAS,
# OpenBLAS, MKL, Accelerate, numexpr), read once, when a library loads; the very list
# Snakemake sets to a job's thread count.
LIBRARY_THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "GOTO_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)  # fmt: skip


def library_threadpools() -> Optional[str]:
    """The thread pools the loaded libraries really use, as threadpoolctl sees them
    ("openblas 0.3.27: 1; openmp: 2"), so that a limit that did not take is seen; None
    where threadpoolctl is not importable. Imported only here: the kernel needs none of it.
    """
    try:
        import threadpoolctl  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        pools = threadpoolctl.threadpool_info()
    except Exception as error:  # a library that cannot be asked says so in the column
        return f"unreadable ({type(error).__name__}: {error})"
    return "; ".join(
        f"{pool.get('internal_api')}{' ' + pool['version'] if pool.get('version') else ''}: {pool.get('num_threads')}"
        for pool in pools
    )


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def affinity_cpus() -> Optional[int]:
    """CPUs this process may run on: inside SLURM, ``nproc`` lies (OMP_NUM_THREADS)."""
    getter = getattr(os, "sched_getaffinity", None)
    return len(getter(0)) if getter else None


def collect_interpreter() -> Dict[str, Any]:
    """Read when the command has run: ``gil_enabled`` is the GIL's state at the end, after
    every import (an extension module can switch a free-threaded build's GIL back on)."""
    sysconfig = __import__("sysconfig")
    return {
        "python_implementation": platform.python_implementation(),
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "gil_enabled": gil_enabled(),
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        # configure's arguments: the twins must differ by --disable-gil alone.
        "python_config_args": sysconfig.get_config_var("CONFIG_ARGS"),
        "default_start_method": multiprocessing.get_start_method(allow_none=True)
        or multiprocessing.get_all_start_methods()[0],
    }


def collect_machine() -> Dict[str, Any]:
    return {
        "host": socket.gethostname(),
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "affinity_cpus": affinity_cpus(),
        # The OS and its kernel release: the report names them beside the CPU.
        "os": platform.system(),
        "os_release": platform.release(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        # Runnable processes beside the measurement: above the CPU count, the cell was crowded.
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def collect() -> Dict[str, Any]:
    meta: Dict[str, Any] = {}
    meta.update(collect_interpreter())
    meta.update(collect_machine())
    return meta
