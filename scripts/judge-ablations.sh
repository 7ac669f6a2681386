#!/usr/bin/env bash
# Judges the five ablation models of scripts/train-embedded.sh (… ablations) for the model
# card's table: held-out cross-entropy (`eval-lm` on 120 pieces of another corpus seed), and
# `bench-emotion` on the 5x5 VA grid x 4 genres with two seeds (200 clips) both with the AV
# token ("{genre} music") and as LARA-Gen's text baseline (emotion words in the prompt, no AV
# token): CCC/PCC/RMSE, genre by prompt, alignment score, silence and bar repetition. The
# shipped model (resources/model, 1800 steps) is judged the same way as the reference row, and
# scripts/ablation-table.py prints the model card's table.
#   scripts/judge-ablations.sh [BUILD_DIR] [WORK_DIR] [ROW...]   → WORK_DIR/judge/*.json
# ROW: ce, ce-lara, ce-rr, ce-lara-rr, text-only, shipped (default: all), e.g. to judge the
# rows that have finished training while the others still train.
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/moodsteer-train}
cli="$build/app/moodsteer-cli"
out="$work/judge"
mkdir -p "$out"
if [ ! -f "$work/heldout/labels.csv" ]; then
    "$cli" corpus --out "$work/heldout" --count 120 --seconds 10 --seed 20261205 --tokens-only \
        >/dev/null
fi
# runs "$@" into FILE unless FILE exists; a run that fails or is stopped leaves no FILE.
into() {
    local file=$1; shift
    [ -f "$file" ] && return 0
    "$@" >"$file.part" 2>"${file%.json}.log" && mv "$file.part" "$file"
}
root=$(cd "$(dirname "$0")/.." && pwd)
rows=("${@:3}")
[ ${#rows[@]} -gt 0 ] || rows=(ce ce-lara ce-rr ce-lara-rr text-only shipped)
for row in "${rows[@]}"; do
    model="$work/ablation-$row"
    [ "$row" = shipped ] && model="$root/resources/model"
    want=$(jq .moodsteer.training.steps "$model/config.json" 2>/dev/null || echo none)
    done_steps=$(tail -n 1 "$model/training_log.csv" 2>/dev/null | cut -d, -f1)
    [ "$want" = "$done_steps" ] ||
        { echo "judge-ablations: $model has not finished training (step ${done_steps:-0} of $want)" >&2; exit 1; }
    into "$out/$row-ce.json" "$cli" eval-lm --model "$model" --corpus "$work/heldout" --json
    for seed in 1 1001; do
        [ "$row" = text-only ] || into "$out/$row-av-$seed.json" \
            "$cli" bench-emotion --model "$model" --grid 5x5 --seed "$seed" --json
        into "$out/$row-text-$seed.json" \
            "$cli" bench-emotion --model "$model" --grid 5x5 --seed "$seed" --text-baseline --json
    done
    echo "judge-ablations: $row done" >&2
done
"$root/scripts/ablation-table.py" "$out"
