"""Which interpreters this machine has (``showdown-interpreters``, or
``python -m showdown.cell.interpreters``), and a ready config block for them."""

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

from .identity import Identity, identify, interpreter_name, refusal

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
            refused = refusal(identity.implementation, identity.version)
        except ValueError as error:
            identity, refused = None, str(error)
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
        results.append(Found(name, command, source, identity, refused))
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
