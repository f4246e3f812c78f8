"""Interpreters to measure under, one module a job: the type (``interpreter``), Python
builds from source (``builds``), what a command runs (``identity``), which interpreters this
machine has (``discovery``, also ``python -m showdown.cell.interpreters``) and the private
virtual environment of an interpreter that lists packages (``venv``).

Names load on first use: the cell job imports the type, the build record and the venv, and
none of the discovery it never runs.
"""

from ... import lazy_door

_DOOR = {
    "Interpreter": "interpreter",
    "BUILD_COMMAND": "builds", "build_provenance": "builds", "builds_cache": "builds", "built_interpreter": "builds",
    "find_build": "builds",
    "Identity": "identity", "check_interpreter": "identity", "default_interpreter_name": "identity",
    "free_threaded_build": "identity", "identify": "identity", "interpreter_name": "identity", "refusal": "identity",
    "Found": "discovery", "discover": "discovery", "interpreters_yaml": "discovery", "main": "discovery",
    "pyenv_root": "discovery",
    "build_env": "venv", "read_env_record": "venv", "resolve": "venv",
}  # fmt: skip

__getattr__ = lazy_door(__name__, _DOOR)

__all__ = sorted(_DOOR)
