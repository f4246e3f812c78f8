"""The harness's share: a cell against the same work in a bare standard-library script.

For a finished results tree (its probe and calibration files), runs R rounds; each round
runs, in a shuffled order, the bare script (benchmarks/bare_work.py) and the cell job
(``python -m showdown.cell.run OUTPUT REQUEST``, the request the sweep builds) for serial and
for each model, each in a fresh process, with the cell's own task count, payload, task
arguments and warm-ups and repetitions. Prints per workload: for CPU work, each model's
speedup over serial with a round-level 95% t-interval, for start-up the time per start, and
for both the round spread (sd of the log round medians), bare script beside the cells.

    python benchmarks/harness_noise.py [--results DIR] [--config config/config.yaml] [--rounds 8]
        [--workload cpu_gil_released --workload cpu_pure --workload startup] [--model threads ...]

The cell's round files go to a temporary folder; the results tree is only read. Run it on
an otherwise idle machine, or read only its relative figures: both sides meet the same
phases, since they are interleaved.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from showdown.cell import is_measured, kernel_hash
from showdown.kernel.catalogue import WORKLOADS
from showdown.stats.estimates import estimate_pairs, level_estimates, paired_log_ratios, round_medians
from showdown.sweep import Schedule, cell_request, load_sweep_file
from showdown.sweep.matrix import CALIBRATION, PROBE, Cell

BARE = Path(__file__).resolve().with_name("bare_work.py")
REPO = Path(__file__).resolve().parent.parent
# What bare_work.py can do: these kinds, with serial, threads and processes-<method>.
KINDS = ("cpu_gil_released", "cpu_pure", "startup")
KEY = ["workload", "payload", "source", "model"]


def bare_supports(model: str) -> bool:
    return model in ("serial", "threads") or model.startswith("processes-")


def plan(sweep, schedule, labels, models, workers, interpreter):
    """Per (workload, payload): the cells to compare, and the bare script's arguments."""
    groups = []
    for label in labels:
        entry = sweep.workloads[label]
        if entry.kind not in KINDS:
            raise SystemExit(
                f"harness_noise: {label} is a {entry.kind} workload; the bare script does {', '.join(KINDS)}"
            )
        wanted = [m for m in entry.models if bare_supports(m) and (not models or m in models)]
        for payload in entry.payloads:
            cells = [
                c for c in schedule.cells
                if c.workload == label and c.interpreter == interpreter and c.payload_bytes == payload
                and c.model in wanted and c.workers in ((1,) if c.model == "serial" else (workers,))
            ]  # fmt: skip
            if cells:
                groups.append((label, entry, cells))
    if not groups:
        raise SystemExit("harness_noise: no cell of those workloads and models at that worker count")
    return groups


def work_of(sweep, entry, cell: Cell, results_root: Path):
    """(tasks, unit) of the cell: the calibration's task count and the kernel's own unit rule."""
    params = dict(WORKLOADS[entry.kind].defaults, **entry.params_dict())
    if entry.kind == "startup":
        return cell.workers, 0
    calibration = results_root / CALIBRATION.format(
        **{**cell.wildcards(), "interpreter": sweep.group_interpreter(cell.interpreter)}
    )
    if not calibration.exists():
        raise SystemExit(f"harness_noise: {calibration} is missing; run the sweep (or its calibrate rule) first")
    tasks = int(json.loads(calibration.read_text())["tasks"])
    return tasks, int(WORKLOADS[entry.kind].make_unit(cell.payload_bytes, params))


def run_bare(interpreter, entry, cell, tasks, unit, warmups, repetitions, repeat_seconds):
    argv = [
        *interpreter.command, str(BARE), entry.kind, cell.model, "--workers", str(cell.workers),
        "--tasks", str(tasks), "--payload-bytes", str(cell.payload_bytes), "--unit", str(unit),
        "--warmups", str(warmups), "--batches", str(repetitions),
    ]  # fmt: skip
    if entry.repeated:  # the cell's batch repeats its starts: the same rule on both sides
        argv += ["--repeat-seconds", str(repeat_seconds)]
    env = {**os.environ, **interpreter.environment()}
    done = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    answer = json.loads(done.stdout)
    return answer["wall_seconds"], answer["checksum"]


def run_cell(sweep, schedule, cell, round, results_root: Path, folder: Path):
    interpreter = sweep.interpreters[cell.interpreter]
    preparations = {"probe": PROBE.format(**cell.wildcards())}
    if sweep.workloads[cell.workload].calibrated:
        preparations["calibration"] = CALIBRATION.format(
            **{**cell.wildcards(), "interpreter": sweep.group_interpreter(cell.interpreter)}
        )
    request = cell_request(
        sweep, schedule, cell, round, interpreter=interpreter.to_params(), preparations=preparations,
        kernel_hash=kernel_hash(),
    )  # fmt: skip
    output = folder / f"{cell.workload}-{cell.model}-w{cell.workers}-{cell.payload}-r{round}.parquet"
    subprocess.run(
        [sys.executable, "-m", "showdown.cell.run", str(output), request.to_json()],
        cwd=results_root, check=True, capture_output=True,
    )  # fmt: skip
    rows = pd.read_parquet(output)
    kept = rows[is_measured(rows)]
    if kept.empty:
        raise SystemExit(f"harness_noise: cell {output.name} measured nothing: {rows['message'].iloc[0]}")
    return kept["wall_seconds"].tolist(), kept["checksum"].iloc[-1]


def measure(sweep, schedule, groups, rounds, results_root, seed):
    interpreter_of = sweep.interpreters
    rows = []
    with tempfile.TemporaryDirectory(prefix="harness-noise-") as folder:
        for round in range(1, rounds + 1):
            jobs = [(label, entry, cell, source) for label, entry, cells in groups for cell in cells
                    for source in ("bare", "cell")]  # fmt: skip
            random.Random(f"{seed}/{round}").shuffle(jobs)
            for label, entry, cell, source in jobs:
                tasks, unit = work_of(sweep, entry, cell, results_root)
                if source == "bare":
                    seconds, checksum = run_bare(
                        interpreter_of[cell.interpreter],
                        entry,
                        cell,
                        tasks,
                        unit,
                        sweep["warmups"],
                        sweep["repetitions"],
                        sweep["repeat_seconds"],
                    )
                else:
                    seconds, checksum = run_cell(sweep, schedule, cell, round, results_root, Path(folder))
                rows += [{"workload": label, "payload": cell.payload, "source": source, "model": cell.model,
                          "round": round, "wall_seconds": s, "checksum": checksum} for s in seconds]  # fmt: skip
            print(f"round {round} of {rounds} done", file=sys.stderr)
    samples = pd.DataFrame(rows)
    # Same work on both sides: every (workload, payload, model) returns the same bytes.
    sums = samples.groupby(["workload", "payload", "model"])["checksum"].nunique()
    mismatches = sums[sums > 1]
    return samples, mismatches


def summary(samples: pd.DataFrame) -> pd.DataFrame:
    """Per (workload, payload, source, model): the level, its round spread, and against serial."""
    medians = round_medians(samples, KEY)
    levels = level_estimates(medians, KEY).rename(columns={"sd": "spread"})
    table = levels[[*KEY, "rounds", "level", "ci_low", "ci_high", "spread"]]
    serial = medians[medians["model"] == "serial"].drop(columns="model")
    others = medians[medians["model"] != "serial"]
    if serial.empty or others.empty:
        return table
    ratios = paired_log_ratios(serial, others, on=["workload", "payload", "source"])
    speedups = estimate_pairs(ratios, ["workload", "payload", "source", "model"])
    speedups = speedups.assign(speedup=np.exp(speedups["mean"]), speedup_low=np.exp(speedups["low"]),
                               speedup_high=np.exp(speedups["high"]))[[*KEY, "speedup", "speedup_low", "speedup_high"]]  # fmt: skip
    return table.merge(speedups, on=KEY, how="left")


def render(table: pd.DataFrame) -> str:
    lines = []
    for (workload, payload), group in table.groupby(["workload", "payload"], sort=False):
        lines.append(f"\n{workload} p{payload}")
        for model, rows in group.groupby("model", sort=False):
            by = {row.source: row for row in rows.itertuples()}
            parts = []
            for source in ("bare", "cell"):
                row = by.get(source)
                if row is None:
                    continue
                text = f"{source} {row.level * 1e3:8.2f} ms [{row.ci_low * 1e3:.2f}, {row.ci_high * 1e3:.2f}] spread {row.spread:.3f}"
                if pd.notna(getattr(row, "speedup", None)):
                    text += f", {row.speedup:.2f}x serial [{row.speedup_low:.2f}, {row.speedup_high:.2f}]"
                parts.append(text)
            if "bare" in by and "cell" in by:
                parts.append(f"cell/bare time {by['cell'].level / by['bare'].level:.2f}")
            lines.append(f"  {model:22s} " + " | ".join(parts))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("."), help="folder holding the finished results/ tree")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument(
        "--workload", action="append", help=f"a workload label of the config (kinds: {', '.join(KINDS)})"
    )
    parser.add_argument(
        "--model", action="append", help="only these models (serial is always run where the config has it)"
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="worker count of the models (default: cores)"
    )
    parser.add_argument("--interpreter", help="an interpreter of the config (default: its first)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tsv", type=Path, help="also write the table here")
    options = parser.parse_args()
    sweep = load_sweep_file(str(options.config))
    schedule = Schedule(sweep)
    labels = options.workload or [
        label for label in ("cpu_gil_released", "cpu_pure", "startup") if label in sweep.workloads
    ]
    models = set(options.model or ()) | ({"serial"} if options.model else set())
    interpreter = options.interpreter or next(iter(sweep.interpreters))
    groups = plan(sweep, schedule, labels, models, options.workers, interpreter)
    samples, mismatches = measure(sweep, schedule, groups, options.rounds, options.results.resolve(), options.seed)
    table = summary(samples)
    print(f"{options.rounds} rounds, {sweep['warmups']} warm-up + {sweep['repetitions']} batches each; "
          f"level: geometric mean of round medians per batch (start-up: per start) [95% t-interval]; "
          f"spread: sd of log round medians")  # fmt: skip
    print(render(table))
    if options.tsv:
        table.to_csv(options.tsv, sep="\t", index=False)
    if len(mismatches):
        print(f"\nchecksums differ between bare script and cells: {mismatches.to_dict()}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
