#!/usr/bin/env bash
# Re-makes the embedded default model from scratch: the procedural corpus from a fixed seed,
# then the training run that produced resources/model (see resources/model/MODEL_CARD.md).
#   scripts/train-embedded.sh [BUILD_DIR] [WORK_DIR] [shipped|ablations] [extra train options]
# shipped (default): WORK_DIR/model, the recipe of resources/model. ablations: the model card's
# five-row comparison, each the shipped recipe at the 900-step budget with the same seed:
# WORK_DIR/ablation-ce (CE only), -ce-lara (today's recipe), -ce-rr, -ce-lara-rr (RR, lambda 3)
# and -text-only (no AV token; the prompts carry the emotion words), two at a time (one thread
# each), then scripts/judge-ablations.sh judges them.
# Copy config.json, generation_config.json, model.safetensors, spiece.model and
# training_log.csv of WORK_DIR/model into
# resources/model/ to ship it. Resumable: re-running continues from each run's checkpoint.
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/moodsteer-train}
what=${3:-shipped}
cli="$build/app/moodsteer-cli"
mkdir -p "$work"
if [ ! -f "$work/corpus/labels.csv" ]; then
    "$cli" corpus --out "$work/corpus" --count 1200 --seconds 10 --seed 20261121 --tokens-only
fi
# --guidance-scale 2: the default guidance written to generation_config.json, chosen by the
# bench-emotion sweep in the model card (3 costs genre adherence, 1.5-2.5 keep both gates).
common=(--corpus "$work/corpus" --batch 12 --crop 150 --lr 2e-3 --warmup 50 --seed 1 --threads 1
        --checkpoint-every 100 --lm-width 192 --lm-heads 6 --lm-ffn 768 --lm-layers 4
        --guidance-scale 2)
case "$what" in
shipped)
    "$cli" train "${common[@]}" --out "$work/model" --steps 1800 --opening-weight 10 \
        --opening-frames 10 --lara-alpha 1 "${@:4}"
    ;;
ablations)
    budget=(--steps 900 --opening-weight 10 --opening-frames 10)
    run() { # NAME OPTIONS...: one row, its log in WORK_DIR/ablation-NAME.log
        local name=$1; shift
        "$cli" train "${common[@]}" "${budget[@]}" --out "$work/ablation-$name" "$@" \
            >"$work/ablation-$name.log" 2>&1 || { echo "ablation $name failed: see $work/ablation-$name.log" >&2; return 1; }
    }
    run ce --lara-alpha 0 "${@:4}" & run ce-lara --lara-alpha 1 "${@:4}" & wait
    run ce-rr --lara-alpha 0 --rr-lambda 3 "${@:4}" & run ce-lara-rr --lara-alpha 1 --rr-lambda 3 "${@:4}" & wait
    run text-only --lara-alpha 1 --no-av "${@:4}"
    ;;
*)
    echo "train-embedded.sh: the third argument is 'shipped' or 'ablations', not '$what'" >&2
    exit 2
    ;;
esac
