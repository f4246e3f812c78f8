"""Interpreters to measure under: what one is, how to run it, whether it is a Python we take.

Light on purpose (standard library only): every cell job imports it before it starts
the kernel, and every import there is time the sweep waits.

Also here: finding the interpreters of this machine (``showdown-interpreters``, or
``python -m showdown.cell.interpreters``), and building the private virtual environment of an
interpreter whose config entry lists ``packages`` (the ``build_interpreter_env`` rule).
"""

import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

INTERPRETER_CHECK_SECONDS = 30
VENV_SECONDS = 300
PIP_SECONDS = 900


@dataclass(frozen=True)
class Interpreter:
    name: str
    command: Tuple[str, ...]
    env: Tuple[Tuple[str, str], ...] = ()
    # pip requirements the models under test need inside this interpreter (a venv is built)
    packages: Tuple[str, ...] = ()
    # The record of that venv (results/envs/...json), once the workflow has placed it.
    env_record: Optional[str] = None
    # A config entry with `build:`: the build.json of the build it resolved to (its source
    # version, tarball hash and flags go into each cell's provenance) ...
    build_record: Optional[str] = None
    # ... or, when no such build exists, why not: its cells are then not applicable.
    unavailable: Optional[str] = None

    def environment(self) -> Dict[str, str]:
        return dict(self.env)

    def to_params(self) -> Dict[str, Any]:
        """Plain values, for a rule's ``params`` (and so for Snakemake's rerun checks)."""
        params: Dict[str, Any] = {"name": self.name, "command": list(self.command), "env": dict(self.env)}
        if self.packages:
            params["packages"] = list(self.packages)
        if self.env_record:
            params["env_record"] = self.env_record
        if self.build_record:
            params["build_record"] = self.build_record
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Interpreter":
        return cls(
            params["name"],
            tuple(params["command"]),
            tuple(sorted(params["env"].items())),
            tuple(params.get("packages", ())),
            params.get("env_record"),
            params.get("build_record"),
        )


# ---------------------------------------------------------------------------------------
# Interpreters built from source (`make twins`, workflow/scripts/build_python_twins.sh)
# ---------------------------------------------------------------------------------------

BUILD_COMMAND = "make twins"


def builds_cache() -> Path:
    """Where build_python_twins.sh installs its builds, by default."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "showdown" / "python"


def find_build(version: str, gil: bool, cache: Optional[Path] = None) -> Optional[Tuple[str, Dict[str, Any]]]:
    """(path of build.json, its record) of the newest finished build of ``version`` (a prefix
    such as "3.13", or "3.13.5") with the GIL on or off; None if the cache holds none.

    Only finished builds have a build.json (the script writes it last, then renames the
    prefix into place), and one whose binary is gone does not count.
    """
    found = []
    for path in (cache or builds_cache()).glob("*/*/build.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        upstream = str(record.get("upstream_version", ""))
        if record.get("gil") is not gil or not (upstream == version or upstream.startswith(version + ".")):
            continue
        if os.access(record.get("binary", ""), os.X_OK):
            found.append((record.get("built_at", ""), str(path), record))
    if not found:
        return None
    _, path, record = max(found)
    return path, record


def built_interpreter(name: str, version: str, gil: bool, env: Tuple[Tuple[str, str], ...] = (),
                      packages: Tuple[str, ...] = ()) -> Interpreter:  # fmt: skip
    """The interpreter of a `build:` entry; unavailable, naming the build command, if unbuilt."""
    found = find_build(version, gil)
    if found is None:
        kind = "GIL" if gil else "free-threaded"
        return Interpreter(name, (), env, packages, unavailable=(
            f"no {kind} CPython {version} build in {builds_cache()}; build it with `{BUILD_COMMAND}`"
        ))  # fmt: skip
    path, record = found
    return Interpreter(name, (record["binary"],), env, packages, build_record=path)


def build_provenance(interpreter: Interpreter) -> Dict[str, Any]:
    """The build's source version and tarball hash, for each cell's provenance (or nulls)."""
    record: Dict[str, Any] = {}
    if interpreter.build_record:
        with open(interpreter.build_record) as handle:
            record = json.load(handle)
    return {"build_source_version": record.get("source_version"), "build_tarball_sha256": record.get("tarball_sha256")}


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


def _refusal(implementation: str, version: Tuple[int, ...]) -> Optional[str]:
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
    return _refusal(found.implementation, found.version)


# ---------------------------------------------------------------------------------------
# Discovery: which interpreters this machine has
# ---------------------------------------------------------------------------------------

# python3, python3.12, python3.13t, pypy3, pypy3.9 ... (not python3.12-config, not python2)
_EXECUTABLE = re.compile(r"^(python3(\.\d+)?t?|pypy3?(\.\d+)?)$")


@dataclass(frozen=True)
class Found:
    name: str
    command: str  # an absolute path
    source: str  # "PATH" or "pyenv"
    identity: Optional[Identity]
    refusal: Optional[str]  # why it cannot be measured under, or None


def pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _candidates(path: Optional[str] = None, pyenv: Optional[Path] = None) -> List[Tuple[str, str]]:
    """(absolute path, source) of every executable that looks like a Python 3 or a PyPy.

    pyenv's shims are skipped: they fail unless their version is the active one; its
    versions are taken by absolute path instead (``bin/python``, and ``python3.Xt`` of a
    free-threaded build).
    """
    pyenv = pyenv or pyenv_root()
    found: List[Tuple[str, str]] = []
    for directory in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        if not directory or Path(directory).resolve() == (pyenv / "shims").resolve():
            continue
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            candidate = os.path.join(directory, name)
            if _EXECUTABLE.match(name) and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                found.append((os.path.abspath(candidate), "PATH"))
    for version in sorted((pyenv / "versions").glob("*"), key=lambda p: _version_key(p.name)):
        binary = version / "bin"
        for candidate in [binary / "python", *sorted(binary.glob("python3.*t"))]:
            if candidate.is_file() and os.access(candidate, os.X_OK):
                found.append((str(candidate), "pyenv"))
    return found


def _version_key(text: str) -> Tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in re.split(r"[.\-]", text))


def discover(path: Optional[str] = None, pyenv: Optional[Path] = None) -> List[Found]:
    """Every distinct interpreter on PATH and under pyenv, identified and named.

    One entry per real executable (symlinks such as python3 -> python3.11 collapse onto
    the first name seen). Names follow :func:`interpreter_name`; a name taken twice (the
    system's 3.11 and pyenv's) gets its source appended.
    """
    seen, results, names = set(), [], set()
    for command, source in _candidates(path, pyenv):
        real = os.path.realpath(command)
        if real in seen:
            continue
        seen.add(real)
        try:
            identity: Optional[Identity] = identify([command])
            refusal = _refusal(identity.implementation, identity.version)
        except ValueError as error:
            identity, refusal = None, str(error)
        if identity is None:
            name = re.sub(r"[^a-z0-9_]", "_", os.path.basename(command).lower())
        else:
            name = interpreter_name(identity.implementation, identity.version, identity.free_threaded)
        if name in names:
            name = f"{name}_{source.lower()}"
        suffix = 2
        while name in names:
            name, suffix = f"{name.rstrip('0123456789_')}_{suffix}", suffix + 1
        names.add(name)
        results.append(Found(name, command, source, identity, refusal))
    return sorted(results, key=_listing_order)


def _listing_order(found: Found) -> Tuple:
    """CPython by version, then PyPy, then what could not be identified."""
    if found.identity is None:
        return (2, (), found.command)
    return (int(found.identity.implementation != "CPython"), found.identity.version, found.command)


def interpreters_yaml(found: Iterable[Found]) -> str:
    """A ready ``interpreters:`` block of a config, for the interpreters we can measure under."""
    lines = ["interpreters:"]
    for entry in found:
        if entry.refusal or entry.identity is None:
            continue
        identity = entry.identity
        version = ".".join(map(str, identity.version))
        gil = "GIL on" if identity.gil_enabled else "GIL off"
        build = ", free-threaded build" if identity.free_threaded else ""
        lines.append(f"  {entry.name}:  # {identity.implementation} {version}, {gil}{build} ({entry.source})")
        lines.append(f"    command: [{json.dumps(entry.command)}]")
    return "\n".join(lines) + "\n"


def _table(found: Iterable[Found]) -> str:
    rows = [("name", "implementation", "version", "GIL", "free-threaded", "source", "command", "note")]
    for entry in found:
        identity = entry.identity
        rows.append(
            (
                entry.name,
                identity.implementation if identity else "?",
                ".".join(map(str, identity.version)) if identity else "?",
                ("on" if identity.gil_enabled else "off") if identity else "?",
                ("yes" if identity.free_threaded else "no") if identity else "?",
                entry.source,
                entry.command,
                f"skipped: {entry.refusal}" if entry.refusal else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``showdown-interpreters``: list this machine's interpreters and print a config block."""
    parser = argparse.ArgumentParser(
        prog="showdown-interpreters",
        description="List the Python interpreters on this machine (PATH, pyenv versions by absolute "
        "path, PyPy, free-threaded builds) and print a ready `interpreters:` block for a sweep's config.",
    )
    parser.add_argument("--json", action="store_true", help="print the list as JSON instead")
    parser.add_argument("--yaml-only", action="store_true", help="print only the config block")
    options = parser.parse_args(argv)
    found = discover()
    if options.json:
        json.dump(
            [
                {
                    "name": f.name,
                    "command": f.command,
                    "source": f.source,
                    "refusal": f.refusal,
                    **(
                        {
                            "implementation": f.identity.implementation,
                            "version": ".".join(map(str, f.identity.version)),
                            "gil_enabled": f.identity.gil_enabled,
                            "free_threaded": f.identity.free_threaded,
                        }
                        if f.identity
                        else {}
                    ),
                }
                for f in found
            ],
            sys.stdout,
            indent=2,
        )
        print()
        return 0
    if not options.yaml_only:
        print(_table(found))
        print()
        print("# Paste into a sweep's config (keep the interpreters you want):")
    print(interpreters_yaml(found), end="")
    return 0


# ---------------------------------------------------------------------------------------
# Per-interpreter virtual environments
# ---------------------------------------------------------------------------------------


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


if __name__ == "__main__":
    sys.exit(main())
