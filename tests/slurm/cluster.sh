#!/usr/bin/env bash
# One-node SLURM cluster for CI (Debian 12 / SLURM 22.05, root, no systemd).
#
#   tests/slurm/cluster.sh up     STATE_DIR   # install if needed, write slurm.conf, start, wait for idle node
#   tests/slurm/cluster.sh down   STATE_DIR   # cancel jobs, stop the daemons *we* started (by pid), wait
#   tests/slurm/cluster.sh status STATE_DIR   # exit 0 if our munged+slurmctld+slurmd run (prints sinfo/squeue), else 3
#
# STATE_DIR holds everything we create except /etc/slurm/slurm.conf (removed by `down`): pid files, logs,
# slurmctld state and slurmd spool.  A daemon is only stopped if its pid file is in
# STATE_DIR and /proc/<pid>/comm still names that daemon (no pkill / killall).
# Both `up` and `down` are idempotent.
#
# Accounting is deliberately off (no slurmdbd): the Snakemake SLURM plugin must then use
# `--slurm-status-command squeue`, and jobs stay visible to squeue for MinJobAge seconds,
# which must exceed the plugin's longest poll interval (180 s) -> 300 (SLURM default).
# The node sits in two partitions, and has the feature "showdown": the test sweeps two node
# types (labels) on it in one run.
# Environment overrides: SLURM_CLUSTER_PARTITION (default "main"), SLURM_CLUSTER_PARTITION2
#   (the second, default "other"),
#   SLURM_CLUSTER_MINJOBAGE (default 300), SLURM_CLUSTER_TIMEOUT (default 30 s),
#   SLURM_CLUSTER_FORCE=1 to overwrite an /etc/slurm/slurm.conf we did not write.
set -euo pipefail

CMD=${1:-}
STATE_ARG=${2:-}
if [[ -z "$CMD" || -z "$STATE_ARG" ]]; then
    echo "usage: $0 up|down|status STATE_DIR" >&2
    exit 2
fi
if [[ $EUID -ne 0 ]]; then
    echo "cluster.sh: must run as root" >&2
    exit 2
fi

mkdir -p "$STATE_ARG"
STATE=$(cd "$STATE_ARG" && pwd)
CONF=/etc/slurm/slurm.conf
MARKER="# managed-by: showdown tests/slurm/cluster.sh"
PARTITION=${SLURM_CLUSTER_PARTITION:-main}
PARTITION2=${SLURM_CLUSTER_PARTITION2:-other}
FEATURE=showdown
MINJOBAGE=${SLURM_CLUSTER_MINJOBAGE:-300}
TIMEOUT=${SLURM_CLUSTER_TIMEOUT:-30}
# Never let a caller's SLURM_* job environment (e.g. running inside a job) leak into
# the client commands we use here.
unset SLURM_CONF SLURM_JOB_ID SLURM_JOBID 2>/dev/null || true

log() { echo "cluster.sh: $*" >&2; }

# ---- pid helpers ---------------------------------------------------------------------
# pid_alive FILE NAME -> prints pid and returns 0 iff FILE holds the pid of a live NAME.
pid_alive() {
    local file=$1 name=$2 pid comm
    [[ -s "$file" ]] || return 1
    # the daemon may delete its pid file while we read it
    pid=$(tr -dc '0-9' 2>/dev/null <"$file" || true)
    [[ -n "$pid" && -r "/proc/$pid/comm" ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    # zombie = already exited
    [[ "$comm" == "$name" ]] || return 1
    [[ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" != "Z" ]] || return 1
    echo "$pid"
}

# stop_daemon FILE NAME: SIGTERM, wait up to 15 s, then SIGKILL; remove the pid file.
stop_daemon() {
    local file=$1 name=$2 pid i
    if pid=$(pid_alive "$file" "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do
            pid_alive "$file" "$name" >/dev/null || break
            sleep 0.1
        done
        if pid_alive "$file" "$name" >/dev/null; then
            log "$name ($pid) ignored SIGTERM, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                pid_alive "$file" "$name" >/dev/null || break
                sleep 0.1
            done
        fi
        if pid_alive "$file" "$name" >/dev/null; then
            log "ERROR: $name ($pid) still running"
            return 1
        fi
        # The exited daemon is a child of PID 1 until init reaps it; wait (<= 5 s) so
        # that `ps` shows nothing afterwards (an unreaped zombie is harmless anyway).
        for ((i = 0; i < 50; i++)); do
            [[ -e "/proc/$pid" ]] || break
            sleep 0.1
        done
        log "stopped $name ($pid)"
    fi
    rm -f "$file"
}

# ---- install ---------------------------------------------------------------------------
install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    if ((${#missing[@]})); then
        log "installing ${missing[*]} (apt-get)"
        # policy-rc.d may print "denied execution of start": harmless, we start by hand.
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge \
            >"$STATE/apt.log" 2>&1; then
            apt-get update -qq >>"$STATE/apt.log" 2>&1
            apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge \
                >>"$STATE/apt.log" 2>&1 || { tail -20 "$STATE/apt.log" >&2; exit 1; }
        fi
    fi
}

# ---- munge -----------------------------------------------------------------------------
munge_ok() { munge -n 2>/dev/null | unmunge 2>/dev/null | grep -q 'STATUS: *Success'; }

start_munge() {
    if pid_alive "$STATE/munged.pid" munged >/dev/null && munge_ok; then
        return 0
    fi
    if munge_ok; then
        # Someone else's munged answers on the default socket: use it, never stop it.
        log "using an already running munged (not ours, will not stop it)"
        rm -f "$STATE/munged.pid"
        return 0
    fi
    if [[ ! -s /etc/munge/munge.key ]]; then
        # Normally created by munge's postinst; recreate if missing.
        install -d -o munge -g munge -m 0700 /etc/munge
        (umask 077 && dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=128 status=none)
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    # munged forks; it writes its own pid file (in /run/munge, munge-owned), we copy it.
    # --force: start even if a stale socket from a killed munged is left over.
    runuser -u munge -- munged --force --pid-file=/run/munge/munged.pid
    local i
    for ((i = 0; i < 50; i++)); do
        munge_ok && break
        sleep 0.1
    done
    munge_ok || { log "munged did not come up (see /var/log/munge/munged.log)"; exit 1; }
    cp /run/munge/munged.pid "$STATE/munged.pid"
    pid_alive "$STATE/munged.pid" munged >/dev/null || { log "munged pid file wrong"; exit 1; }
}

# ---- slurm.conf ------------------------------------------------------------------------
# Sets HOST (the node name) and CONF_CHANGED (1 if slurm.conf was (re)written).
HOST=""
CONF_CHANGED=0
write_conf() {
    if [[ -e "$CONF" ]] && ! grep -qF "$MARKER" "$CONF" && [[ "${SLURM_CLUSTER_FORCE:-0}" != 1 ]]; then
        log "$CONF exists and was not written by this script; set SLURM_CLUSTER_FORCE=1 to overwrite"
        exit 1
    fi
    local host nodeline tmp
    # First line of `slurmd -C` is this machine's real node definition
    # (NodeName=<hostname -s> CPUs=.. Boards=.. SocketsPerBoard=.. CoresPerSocket=.. ThreadsPerCore=.. RealMemory=..)
    nodeline=$(slurmd -C | head -n1)
    host=$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<<"$nodeline")
    [[ -n "$host" ]] || { log "cannot parse 'slurmd -C': $nodeline"; exit 1; }
    install -d -m 0755 /etc/slurm "$STATE/ctld" "$STATE/spool"
    tmp=$(mktemp /etc/slurm/.slurm.conf.XXXXXX)
    cat >"$tmp" <<EOF
$MARKER
# state dir: $STATE
ClusterName=showdown
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
# No cgroups (containers / no systemd): process groups for tracking, affinity for CPU binding.
ProctrackType=proctrack/pgid
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# No slurmdbd: sacct cannot see jobs, squeue only sees them for MinJobAge seconds after they end.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=$MINJOBAGE
# Reject impossible requests (e.g. more CPUs than the node has) at sbatch time instead of
# leaving them PENDING (Reason=PartitionConfig) forever while Snakemake waits.
EnforcePartLimits=ALL
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
$nodeline Feature=$FEATURE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
PartitionName=$PARTITION2 Nodes=$host MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    chmod 0644 "$tmp"
    if [[ -e "$CONF" ]] && cmp -s "$tmp" "$CONF"; then
        rm -f "$tmp"
    else
        mv -f "$tmp" "$CONF"
        CONF_CHANGED=1
    fi
    HOST=$host
}

node_state() { sinfo -h -N -n "$1" -o '%T' 2>/dev/null | head -n1; }

# ---- commands --------------------------------------------------------------------------
do_up() {
    local t0 t1 host i state
    t0=$(date +%s%N)
    install_packages
    start_munge
    write_conf
    host=$HOST
    if ((CONF_CHANGED)); then
        # Daemons we started earlier still run with the old slurm.conf: restart them.
        stop_daemon "$STATE/slurmd.pid" slurmd
        stop_daemon "$STATE/slurmctld.pid" slurmctld
    fi
    if ! pid_alive "$STATE/slurmctld.pid" slurmctld >/dev/null; then
        # -c: start clean (no jobs/node state recovered from a previous run), so the
        # node only turns idle once *this* slurmd has registered; -i: ignore bad state.
        slurmctld -c -i
    fi
    if ! pid_alive "$STATE/slurmd.pid" slurmd >/dev/null; then
        slurmd
    fi
    state=""
    for ((i = 0; i < TIMEOUT * 10; i++)); do
        state=$(node_state "$host")
        case "$state" in
            idle | mixed | allocated) break ;;
            down* | drain*)
                # stale state from a previous run: give the node back
                scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 0.1
    done
    case "$state" in
        idle | mixed | allocated) ;;
        *)
            log "node $host not ready after ${TIMEOUT}s (state '${state}'); logs in $STATE"
            tail -5 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 2>/dev/null || true
            exit 1 ;;
    esac
    t1=$(date +%s%N)
    i=$(((t1 - t0) / 1000000))
    printf 'cluster.sh: up: node %s %s (feature %s), partitions %s and %s, %d.%03ds\n' "$host" "$state" \
        "$FEATURE" "$PARTITION" "$PARTITION2" \
        $((i / 1000)) $((i % 1000))
}

do_down() {
    local i
    if pid_alive "$STATE/slurmctld.pid" slurmctld >/dev/null; then
        # Cancel every job so no slurmstepd / job process outlives slurmd.
        local ids
        ids=$(squeue -h -t PENDING,RUNNING,SUSPENDED -o %i 2>/dev/null || true)
        if [[ -n "$ids" ]]; then
            log "cancelling jobs: $(echo $ids)"
            # shellcheck disable=SC2086
            scancel $ids 2>/dev/null || true
        fi
        for ((i = 0; i < 150; i++)); do
            [[ -z "$(squeue -h -t PENDING,RUNNING,SUSPENDED,COMPLETING -o %i 2>/dev/null)" ]] && break
            sleep 0.1
        done
    fi
    stop_daemon "$STATE/slurmd.pid" slurmd
    stop_daemon "$STATE/slurmctld.pid" slurmctld
    stop_daemon "$STATE/munged.pid" munged
    # A slurm.conf naming a controller that no longer runs makes every SLURM client wait
    # about 9 s for it, and the Snakemake SLURM plugin asks `scontrol` at every start:
    # `snakemake --version` took 11 s instead of 2 s. Remove the one we wrote.
    if [[ -e "$CONF" ]] && grep -qF "$MARKER" "$CONF"; then
        rm -f "$CONF"
    fi
    log "down"
}

do_status() {
    local rc=0 d pid
    for d in munged slurmctld slurmd; do
        if pid=$(pid_alive "$STATE/$d.pid" "$d"); then
            echo "$d: running ($pid)"
        else
            echo "$d: not running (from $STATE)"
            rc=3
        fi
    done
    if ((rc == 0)); then
        sinfo -N -o '%N %T %c %m %P' || rc=3
        squeue -o '%i %j %T %M %R' || rc=3
    fi
    return $rc
}

case "$CMD" in
    up) do_up ;;
    down) do_down ;;
    status) do_status ;;
    *) echo "usage: $0 up|down|status STATE_DIR" >&2; exit 2 ;;
esac
