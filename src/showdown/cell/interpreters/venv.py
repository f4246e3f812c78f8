"""The private virtual environment of an interpreter whose config entry lists ``packages``
(the ``build_interpreter_env`` rule), and the command that runs inside it."""

import dataclasses
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from .interpreter import Interpreter

VENV_SECONDS = 300
PIP_SECONDS = 900


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    # pip ends a failure with its error; its notices about new versions come after it.
    lines = [line for line in lines if not line.startswith(("[notice]", "WARNING: Location"))]
    return lines[-1] if lines else "(no output)"


def build_env(interpreter: Interpreter, venv_dir: str, record_path: str) -> Dict[str, Any]:
    """Create ``venv_dir`` with ``<interpreter> -m venv`` and pip-install its packages.

    Never fails: a failed step is recorded (``status: failed`` and pip's last line) and the
    models that need a package are then not applicable with that reason. The record goes
    to ``record_path`` (JSON); the venv's python is named relative to it, so a results
    folder that moves keeps working.
    """
    started = time.monotonic()
    venv = Path(venv_dir)
    record: Dict[str, Any] = {
        "interpreter": interpreter.name,
        "base_command": list(interpreter.command),
        "packages": list(interpreter.packages),
        "venv": os.path.relpath(venv, Path(record_path).parent),
        "status": "ok",
        "message": None,
        "installed": [],
    }
    env = {**os.environ, **interpreter.environment()}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_USER"):
        env.pop(name, None)  # nothing of the workflow's own environment leaks into the venv
    python = venv / "bin" / "python"
    steps = [
        ("venv", [*interpreter.command, "-m", "venv", "--clear", str(venv)], VENV_SECONDS),
        (
            "pip",
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *interpreter.packages],
            PIP_SECONDS,
        ),
    ]
    if venv.exists():
        shutil.rmtree(venv)
    log: List[str] = []
    for step, argv, timeout in steps:
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
            output, returncode = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as error:
            output, returncode = f"{step} took more than {timeout} s: {error}", -1
        except OSError as error:
            output, returncode = f"{type(error).__name__}: {error}", -1
        log.append(f"$ {' '.join(argv)}\n{output}")
        if returncode:
            record.update(status="failed", failed_step=step, message=_last_line(output))
            break
    if record["status"] == "ok":
        frozen = subprocess.run(
            [str(python), "-m", "pip", "freeze", "--disable-pip-version-check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        record["installed"] = frozen.stdout.split()
    venv.mkdir(parents=True, exist_ok=True)  # the rule's output, even when it holds nothing
    record["seconds"] = round(time.monotonic() - started, 3)
    record["log"] = "\n".join(log)[-20000:]
    Path(record_path).parent.mkdir(parents=True, exist_ok=True)
    temporary = f"{record_path}.{os.getpid()}.partial"
    with open(temporary, "w") as handle:
        json.dump(record, handle, indent=2)
    os.replace(temporary, record_path)
    return record


def read_env_record(path: str) -> Dict[str, Any]:
    with open(path) as handle:
        record = json.load(handle)
    record["python"] = str((Path(path).parent / record["venv"] / "bin" / "python").absolute())
    return record


def resolve(interpreter: Interpreter) -> Tuple[Interpreter, Optional[str]]:
    """The interpreter the kernel really runs, and why its environment is missing, if it is.

    With a built venv, the command's executable becomes the venv's python (its arguments
    stay). Without one, the bare interpreter runs and the second value says why; a model
    that then finds its package missing is not applicable with that reason.
    """
    if not interpreter.env_record:
        return interpreter, None
    record = read_env_record(interpreter.env_record)
    if record["status"] != "ok":
        return interpreter, f"environment not built: {record['message']}"
    command = (record["python"], *interpreter.command[1:])
    return dataclasses.replace(interpreter, command=command), None
