#!/usr/bin/env bash
# Run tests/slurm/smoke through profiles/slurm on a throw-away one-node cluster.
#   tests/slurm/smoke.sh [STATE_DIR]      (root; leaves the cluster down)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STATE=${1:-/tmp/showdown-slurm-state}
WORK=$(mktemp -d /tmp/showdown-slurm-smoke.XXXXXX)
SNAKEMAKE=${SNAKEMAKE:-$ROOT/.venv/bin/snakemake}

trap '"$HERE/cluster.sh" down "$STATE"' EXIT
"$HERE/cluster.sh" up "$STATE"

# timeout: a misconfigured status check makes Snakemake wait forever and ignore SIGTERM.
timeout --kill-after=10 300 "$SNAKEMAKE" -s "$HERE/smoke/Snakefile" -d "$WORK" \
    --workflow-profile "$ROOT/profiles/slurm"

python3 - "$WORK" <<'PY'
import json, pathlib, subprocess, sys
work = pathlib.Path(sys.argv[1])
cpus = int(subprocess.check_output(["sinfo", "-h", "-o", "%c"], text=True).split()[0].rstrip("+"))
for machine in ["a", "b"]:  # the node types of tests/slurm/smoke/Snakefile
    for name in ["probe_interpreter.json", "calibrate_work.json", "cell/0.json", "cell/1.json"]:
        d = json.loads((work / machine / name).read_text())
        assert d["slurm_job_id"], (machine, name, d)
        assert d["affinity"] == list(range(cpus)) and d["threads"] == cpus, (machine, name, d)
s = json.loads((work / "summary.json").read_text())
assert s["slurm_job_id"] is None, s  # localrule ran on the submit host
print(f"smoke OK: two node types, {cpus} CPUs per job, logs in {work}/.snakemake/slurm_logs")
PY
