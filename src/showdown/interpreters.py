"""Interpreters to measure under: what one is, how to run it, whether it is a Python we take.

Light on purpose (standard library only): every cell job imports it before it starts
the kernel, and every import there is time the sweep waits.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

INTERPRETER_CHECK_SECONDS = 30


@dataclass(frozen=True)
class Interpreter:
    name: str
    command: Tuple[str, ...]
    env: Tuple[Tuple[str, str], ...] = ()

    def environment(self) -> Dict[str, str]:
        return dict(self.env)

    def to_params(self) -> Dict[str, Any]:
        """Plain values, for a rule's ``params`` (and so for Snakemake's rerun checks)."""
        return {"name": self.name, "command": list(self.command), "env": dict(self.env)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Interpreter":
        return cls(params["name"], tuple(params["command"]), tuple(sorted(params["env"].items())))


_IDENTIFY = (
    "import platform, sys, json; print(json.dumps([platform.python_implementation(), "
    "list(sys.version_info[:3]), bool(getattr(sys, '_is_gil_enabled', lambda: True)())]))"
)


def default_interpreter_name() -> str:
    """A name for the running Python: py311, pypy39, py313t (free-threaded)."""
    prefix = "pypy" if sys.implementation.name == "pypy" else "py"
    threaded = "t" if not getattr(sys, "_is_gil_enabled", lambda: True)() else ""
    return f"{prefix}{sys.version_info[0]}{sys.version_info[1]}{threaded}"


def identify_interpreter(interpreter: Interpreter) -> Tuple[str, Tuple[int, ...]]:
    """(implementation, version) of an interpreter, by running it; ValueError if it is not one."""
    executable = interpreter.command[0]
    resolved = shutil.which(executable)
    if resolved is None:
        raise ValueError(f"{executable!r} does not exist or is not executable (not an absolute path, nor a name on PATH)")
    try:
        done = subprocess.run(
            [*interpreter.command, "-c", _IDENTIFY],
            env={**os.environ, **interpreter.environment()},
            capture_output=True,
            text=True,
            timeout=INTERPRETER_CHECK_SECONDS,
        )
        implementation, version, _ = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        raise ValueError(f"{resolved} did not answer as a Python interpreter ({type(error).__name__})")
    return implementation, tuple(version)


def check_interpreter(interpreter: Interpreter) -> Optional[str]:
    """None if the interpreter is CPython >= 3.9 or PyPy, else why not."""
    try:
        implementation, version = identify_interpreter(interpreter)
    except ValueError as error:
        return str(error)
    if implementation not in ("CPython", "PyPy"):
        return f"is {implementation}; allowed: CPython >= 3.9 or PyPy"
    if version < (3, 9):
        return f"is {implementation} {'.'.join(map(str, version))}; allowed: CPython >= 3.9 or PyPy (Python >= 3.9)"
    return None
