#!/usr/bin/env bash
# Re-makes the variation generator's weights (resources/variations; see its MODEL_CARD.md):
# the procedural corpus (training and held-out, fixed seeds), then both training stages, then
# bench-variations on the held-out pieces.
#   scripts/train-variations.sh [BUILD_DIR] [WORK_DIR] [extra train-variations options]
# Copy config.json, vae.safetensors, diffusion.safetensors and the two training logs of
# WORK_DIR/variations into resources/variations/ to ship them. Resumable: re-running continues
# each stage from WORK_DIR/variations/checkpoint. Both stages stop after --vae-minutes /
# --diffusion-minutes of wall time (the shipped run: see the model card; one niced thread of a
# busy 2-core machine), so a faster machine runs more of the step budget.
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/moodsteer-variations}
cli="$build/app/moodsteer-cli"
mkdir -p "$work"
if [ ! -f "$work/train/labels.csv" ]; then
    "$cli" corpus --out "$work/train" --count 800 --seconds 16 --seed 11 --tokens-only
fi
# The diffusion stage renders one 8 s segment per piece for its attention curve: its own
# corpus of 8 s pieces (another seed), 2400 renders (about 5 minutes, cached).
if [ ! -f "$work/train8/labels.csv" ]; then
    "$cli" corpus --out "$work/train8" --count 2400 --seconds 8 --seed 12 --tokens-only
fi
if [ ! -f "$work/heldout/labels.csv" ]; then
    "$cli" corpus --out "$work/heldout" --count 128 --seconds 8 --seed 9021 --tokens-only
fi
"$cli" train-variations --corpus "$work/train" --heldout "$work/heldout" --out "$work/variations" \
    --stage vae --vae-steps 4000 --vae-minutes 60 --threads 1 "${@:3}"
"$cli" train-variations --corpus "$work/train8" --out "$work/variations" --stage diffusion \
    --diffusion-steps 18000 --diffusion-minutes 60 --threads 1 "${@:3}"
"$cli" bench-variations --model "$work/variations" --corpus "$work/heldout" --segments 100
