"""Interpreters built from source (`make twins`, workflow/scripts/build_python_twins.sh)."""

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from .interpreter import Interpreter

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
