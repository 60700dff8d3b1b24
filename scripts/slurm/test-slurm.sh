#!/bin/bash
# End-to-end test of the Slurm path on this machine (`make test-slurm`): installs Debian's
# slurm-wlm and munge if missing, starts munged, slurmctld and slurmd for a one-node cluster on
# localhost (the node's CPUs and memory as `slurmd -C` reports them), submits a 4-task array of a
# small synthetic suite through scripts/slurm/recbench-array.sbatch, waits for the dependent merge
# job, and checks the merged run equals a single-process run (scripts/compare-runs.py).
# Needs root (it writes /etc/slurm and starts daemons); stops the daemons it started on exit.
# RECBENCH_BIN: the binary to test (default .build/release/recbench, built when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${RECBENCH_BIN:-$ROOT/.build/release/recbench}
[ "$(id -u)" = 0 ] || { echo "test-slurm: needs root (installs packages, starts slurmctld/slurmd)"; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing slurm-wlm and munge"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if [ ! -x "$BIN" ]; then
    echo "== building $BIN"
    (cd "$ROOT" && swift build -c release --product recbench)
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

WORK=$(mktemp -d /tmp/recbench-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "== munge"
[ -s /etc/munge/munge.key ] || mungekey --create --force
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
if ! munge -n >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
    sleep 1
    PIDS+=("$(cat /run/munge/munged.pid)")
    echo "started munged (pid ${PIDS[0]})"
fi
munge -n | unmunge >/dev/null && echo "munge: credentials round-trip"

echo "== slurm.conf"
HOST=$(hostname -s)
NODE=$(slurmd -C | head -1 | sed "s/^NodeName=[^ ]*/NodeName=$HOST/")
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=recbench-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
$NODE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
grep -E '^(NodeName|PartitionName)' /etc/slurm/slurm.conf

echo "== starting slurmctld and slurmd"
slurmctld -i
slurmd
sleep 2
PIDS+=("$(cat "$WORK/slurmd.pid")" "$(cat "$WORK/slurmctld.pid")")
for _ in $(seq 30); do
    sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed)' && break
    sleep 1
done
sinfo

echo "== small synthetic suite"
cat > "$WORK/slurm-suite.json" <<JSON
{
  "name": "slurm-suite",
  "seed": 11,
  "task": "ranking",
  "datasets": [{ "name": "synthetic-tiny", "synthetic": { "users": 300, "items": 200, "interactions": 9000, "factors": 4, "popularity_skew": 1.0, "seed": 3 } }],
  "split": { "method": "kfold", "k": 2 },
  "algorithms": [{ "name": "Random" }, { "name": "MostPopular" }, { "name": "Bias", "params": { "item_reg": [5, 25] } }],
  "metrics": ["ndcg@10", "recall@10", "auc"]
}
JSON
"$BIN" plan "$WORK/slurm-suite.json" --shards 4

echo "== sbatch --array=1-4"
cd "$WORK"
export RECBENCH_BIN="$BIN" RECBENCH_RESULTS="$WORK/results"
ARRAY=$(sbatch --parsable --array=1-4 "$ROOT/scripts/slurm/recbench-array.sbatch" "$WORK/slurm-suite.json")
echo "array job $ARRAY"
MERGED=""
for _ in $(seq 600); do
    MERGED=$(ls -d "$WORK/results/slurm-suite/"2*[0-9a-f] 2>/dev/null | head -1 || true)
    [ -n "$MERGED" ] && [ -z "$(squeue -h 2>/dev/null)" ] && break
    sleep 1
done
squeue || true
for f in "$WORK"/recbench-*.out; do echo "-- $(basename "$f")"; cat "$f"; done
[ -n "$MERGED" ] || { echo "FAIL: no merged run (see $WORK/slurmctld.log, $WORK/slurmd.log)"; exit 1; }
echo "merge job $(cat "$WORK/recbench-$ARRAY-merge.jobid"): $MERGED"
ls -d "$WORK/results/slurm-$ARRAY"/slurm-suite/*

echo "== single-process run"
# One thread, as each array task has (threads is recorded per trial).
"$BIN" run "$WORK/slurm-suite.json" --output "$WORK/single" --no-cache --threads 1 --jobs 1 --quiet
echo "== compare"
python3 "$ROOT/scripts/compare-runs.py" "$WORK/single/slurm-suite/latest" "$MERGED"
echo "PASS: Slurm array of 4 shards + dependent merge equals the single-process run ($WORK)"
