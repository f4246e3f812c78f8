"""Which Python an interpreter is, by running it, and whether it is one we take."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

from .interpreter import Interpreter

INTERPRETER_CHECK_SECONDS = 30

_IDENTIFY = (
    "import platform, sys, sysconfig, json; print(json.dumps([platform.python_implementation(), "
    "list(sys.version_info[:3]), bool(getattr(sys, '_is_gil_enabled', lambda: True)()), "
    "bool(sysconfig.get_config_var('Py_GIL_DISABLED'))]))"
)


def interpreter_name(implementation: str, version: Sequence[int], free_threaded: bool = False) -> str:
    """The conventional name of an interpreter: py311, pypy39, py313t (a free-threaded build).

    The ``t`` follows the build, as python3.13t does, not whether the GIL happens to be
    off at run time (a free-threaded build can turn it back on): that is recorded per cell.
    """
    prefix = "pypy" if implementation.lower() == "pypy" else "py"
    return f"{prefix}{version[0]}{version[1]}{'t' if free_threaded else ''}"


def free_threaded_build() -> bool:
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def default_interpreter_name() -> str:
    """A name for the running Python: py311, pypy39, py313t (free-threaded)."""
    implementation = "pypy" if sys.implementation.name == "pypy" else "cpython"
    return interpreter_name(implementation, sys.version_info, free_threaded_build())


@dataclass(frozen=True)
class Identity:
    implementation: str
    version: Tuple[int, ...]
    gil_enabled: bool
    free_threaded: bool


def identify(command: Sequence[str], env: Optional[Mapping[str, str]] = None) -> Identity:
    """What an interpreter is, by running it; ValueError if it is not one."""
    executable = command[0]
    resolved = shutil.which(executable)
    if resolved is None:
        raise ValueError(
            f"{executable!r} does not exist or is not executable (not an absolute path, nor a name on PATH)"
        )
    try:
        done = subprocess.run(
            [*command, "-c", _IDENTIFY],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=INTERPRETER_CHECK_SECONDS,
        )
        implementation, version, gil, threaded = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        raise ValueError(f"{resolved} did not answer as a Python interpreter ({type(error).__name__})") from error
    return Identity(implementation, tuple(version), bool(gil), bool(threaded))


def refusal(implementation: str, version: Tuple[int, ...]) -> Optional[str]:
    if implementation not in ("CPython", "PyPy"):
        return f"is {implementation}; allowed: CPython >= 3.9 or PyPy"
    if version < (3, 9):
        return f"is {implementation} {'.'.join(map(str, version))}; allowed: CPython >= 3.9 or PyPy (Python >= 3.9)"
    return None


def check_interpreter(interpreter: Interpreter) -> Optional[str]:
    """None if the interpreter is CPython >= 3.9 or PyPy, else why not."""
    env = interpreter.environment()
    try:
        # Identified without PYTHON_GIL: a GIL build dies of PYTHON_GIL=0 before it can answer.
        found = identify(interpreter.command, {k: v for k, v in env.items() if k != "PYTHON_GIL"})
    except ValueError as error:
        return str(error)
    if env.get("PYTHON_GIL") == "0" and not found.free_threaded:
        # A GIL build refuses to start with it (a fatal error): say so before any cell.
        return "env sets PYTHON_GIL=0, which is fatal for a GIL build; allowed: only on a free-threaded build"
    return refusal(found.implementation, found.version)
