"""What an interpreter to measure under is: its name, command, environment and records.

Light on purpose (standard library only): every cell job imports it before it starts
the kernel, and every import there is time the sweep waits.
"""

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple


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
