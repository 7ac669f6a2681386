#!/usr/bin/env bash
# Re-makes the embedded default model from scratch: the procedural corpus from a fixed seed,
# then the training run that produced resources/model (see resources/model/MODEL_CARD.md).
#   scripts/train-embedded.sh [BUILD_DIR] [WORK_DIR]
# Writes WORK_DIR/model; copy config.json, model.safetensors, spiece.model and
# training_log.csv into resources/model/ to ship it. Resumable: re-running continues from
# WORK_DIR/model/checkpoint.
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/moodsteer-train}
cli="$build/app/moodsteer-cli"
mkdir -p "$work"
if [ ! -f "$work/corpus/labels.csv" ]; then
    "$cli" corpus --out "$work/corpus" --count 1200 --seconds 10 --seed 20261121 --tokens-only
fi
"$cli" train --corpus "$work/corpus" --out "$work/model" \
    --steps 900 --minutes 62 --batch 12 --crop 150 --lr 2e-3 --warmup 50 \
    --lara-alpha 1 --seed 1 --threads 1 --checkpoint-every 100 \
    --lm-width 192 --lm-heads 6 --lm-ffn 768 --lm-layers 4 "${@:3}"
