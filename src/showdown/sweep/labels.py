"""Machine labels in one results tree: each run's manifest, and which labels the analysis takes.

A run writes a manifest under each label it measures (``results/cells/<label>/manifest.json``):
the round files it measured, the CPUs `cores` resolved to, the config's hash, and the commit
(and whether the tree was dirty). A label is *complete* when its manifest exists and every
round file it names exists; the analysis takes this run's labels and every other complete
label under ``results/cells/`` (or those the config's `machines` list names), and names the
others with the reason, never dropping them silently.
"""

import datetime
import json
import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence

from .. import paths
from ..cell import read_round_files, write_json_atomic
from .config import ConfigError

MANIFEST_VERSION = 1


def write_manifest(output: str, *, machine: str, cores: int, config_hash: str, round_files: Sequence[str]) -> Dict:
    """The manifest of one label's run, written once its every round file exists. The
    commit is the one each round file recorded (several, if the run spanned commits)."""
    recorded = read_round_files(round_files).select(["git_commit", "git_dirty"]).to_pandas()
    commit = ", ".join(sorted(set(recorded["git_commit"].dropna()))) or None
    dirty = bool(recorded["git_dirty"].fillna(False).astype(bool).any())
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "machine": machine,
        "cores": cores,
        "config_hash": config_hash,
        "git_commit": commit,
        "git_dirty": dirty,
        "written_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "round_files": sorted(round_files),
    }
    write_json_atomic(manifest, output)
    return manifest


@dataclass(frozen=True)
class LabelState:
    """One label found under results/cells/: whether the analysis takes it, and why not."""

    label: str
    complete: bool
    reason: str
    round_files: tuple
    manifest: Optional[Dict] = None


def label_state(label: str) -> LabelState:
    path = paths.MANIFEST.format(machine=label)
    if not os.path.exists(path):
        return LabelState(label, False, "no manifest (its run has not finished, or it was copied without it)", ())
    try:
        with open(path) as handle:
            manifest = json.load(handle)
        files = tuple(manifest["round_files"])
    except (OSError, ValueError, KeyError) as error:
        return LabelState(label, False, f"unreadable manifest ({error})", ())
    missing = [name for name in files if not os.path.exists(name)]
    if missing:
        return LabelState(label, False, f"{len(missing)} of {len(files)} round files missing, e.g. {missing[0]}",
                          files, manifest)  # fmt: skip
    return LabelState(label, True, "complete", files, manifest)


def found_labels(root: str = paths.CELLS_ROOT) -> List[str]:
    """Every label folder under results/cells/ (another machine's copied in among them)."""
    if not os.path.isdir(root):
        return []
    return sorted(name for name in os.listdir(root) if os.path.isdir(os.path.join(root, name)))


def other_labels(own: Iterable[str], wanted: Optional[Sequence[str]] = None) -> List[LabelState]:
    """The labels this run does not measure: every one under results/cells/, or the config's
    `machines` list (``wanted``). A wanted label that is not there is a config error."""
    own = set(own)
    found = found_labels()
    if wanted is not None:
        absent = [label for label in wanted if label not in own and label not in found]
        if absent:
            raise ConfigError([f"machines: {', '.join(repr(a) for a in absent)} not under {paths.CELLS_ROOT}/; "
                               f"allowed: this run's labels ({', '.join(sorted(own))}) and those found there "
                               f"({', '.join(found) or 'none'})"])  # fmt: skip
        found = list(wanted)
    return [label_state(label) for label in found if label not in own]


def labels_table(own: Iterable[str], others: Sequence[LabelState]) -> List[Dict]:
    """One row per label: taken or left out, and why (results/aggregate/labels.tsv)."""
    rows = [{"machine": label, "analysed": True, "source": "this run", "reason": "measured by this run"}
            for label in own]  # fmt: skip
    rows += [{"machine": state.label, "analysed": state.complete, "source": "brought in",
              "reason": state.reason} for state in others]  # fmt: skip
    return rows


def manifests(labels: Iterable[str]) -> Dict[str, Dict]:
    """Each label's manifest, where it has a readable one."""
    found = {}
    for label in labels:
        path = paths.MANIFEST.format(machine=label)
        if os.path.exists(path):
            with open(path) as handle:
                found[label] = json.load(handle)
    return found
