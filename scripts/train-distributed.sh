#!/usr/bin/env bash
# Data-parallel `moodsteer-cli train` on this machine: starts N ranks (c10d over Gloo on
# loopback), each with the same train options, and waits for them. Rank 0 writes the model
# folder and prints the progress; the other ranks' output goes to OUT/rank-R.log.
#   scripts/train-distributed.sh [-n N] [-p PORT] [-b BUILD_DIR] -- TRAIN_OPTIONS...
# Example (the embedded model's recipe as 2 ranks x batch 6 = the global batch of 12):
#   scripts/train-distributed.sh -n 2 -- --corpus /tmp/moodsteer-train/corpus \
#       --out /tmp/moodsteer-train/model-dp --batch 6 --steps 1800 --threads 1 ...
# --batch is per rank. Several machines: run `moodsteer-cli train ... --world-size N --rank R
# --master-addr HOST0` on each (docs/training.md). Ctrl-C stops every rank after its current
# step; rank 0 saves the checkpoint (rerun the same command to resume, with any N).
set -euo pipefail
n=2
port=${MASTER_PORT:-29500}
build=build
while getopts "n:p:b:h" opt; do
    case "$opt" in
    n) n=$OPTARG ;;
    p) port=$OPTARG ;;
    b) build=$OPTARG ;;
    *)
        sed -n '2,12p' "$0" >&2
        exit 2
        ;;
    esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ]; then
    echo "train-distributed.sh: -n must be a positive number of ranks, not '$n'" >&2
    exit 2
fi
cli="$build/app/moodsteer-cli"
if [ ! -x "$cli" ]; then
    echo "train-distributed.sh: $cli is not built (give the build folder with -b)" >&2
    exit 2
fi
out=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [ "${args[$i]}" = "--out" ] && out=${args[$((i + 1))]:-}
done
if [ -z "$out" ]; then
    echo "train-distributed.sh: the train options need --out MODEL_DIR" >&2
    exit 2
fi
mkdir -p "$out"
export MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=$n
pids=()
stopped=0
# The ranks run in sessions of their own, so a terminal's Ctrl-C reaches them once, from here
# (a second signal would make a rank die without saving).
stop() {
    [ "$stopped" -eq 1 ] && return
    stopped=1
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
}
trap stop INT TERM
for ((r = 1; r < n; r++)); do
    RANK=$r setsid "$cli" train "$@" >"$out/rank-$r.log" 2>&1 &
    pids+=($!)
done
RANK=0 setsid "$cli" train "$@" &
pids=($! "${pids[@]}")
rc=0
for pid in "${pids[@]}"; do
    wait "$pid" || { s=$?; [ "$rc" -eq 0 ] && rc=$s; }
done
# A second wait: the first one returns early when the trap ran.
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
if [ "$rc" -ne 0 ]; then
    for ((r = 1; r < n; r++)); do
        [ -s "$out/rank-$r.log" ] && tail -n 1 "$out/rank-$r.log" | sed "s/^/rank $r: /" >&2
    done
fi
exit "$rc"
