#!/usr/bin/env bash
# Retrains the shipped text-audio alignment model (resources/alignment/) in one command:
# writes a training corpus (seed 101, 800 pieces) and a held-out one (seed 202, 200 pieces),
# trains on them plus ../shared/data/musifeast17 (one recording in 4 per genre held out),
# reports zero-shot genre accuracy on the held-out corpus, the held-out MUSIFEAST recordings
# and ../shared/data/genre, and installs the model and the report. ~10-15 min on one busy core.
#   scripts/train-alignment.sh [-b BUILD_DIR] [-w WORK_DIR] [-s SHARED_DATA_DIR]
# Rerunning continues an interrupted run (the checkpoint lives in WORK_DIR).
set -euo pipefail
build=build
work=build/alignment-training
shared=../shared/data
while getopts "b:w:s:h" opt; do
    case "$opt" in
    b) build=$OPTARG ;;
    w) work=$OPTARG ;;
    s) shared=$OPTARG ;;
    *)
        sed -n '2,8p' "$0" >&2
        exit 2
        ;;
    esac
done
cli="$build/app/moodsteer-cli"
if [ ! -x "$cli" ]; then
    echo "train-alignment.sh: $cli is not built (give the build folder with -b)" >&2
    exit 2
fi
for d in "$shared/musifeast17" "$shared/genre"; do
    if [ ! -f "$d/labels.csv" ]; then
        echo "train-alignment.sh: $d/labels.csv not found (give the shared data folder with -s)" >&2
        exit 2
    fi
done
mkdir -p "$work"
[ -f "$work/corpus-train/labels.csv" ] ||
    nice -n 19 "$cli" corpus --out "$work/corpus-train" --count 800 --seconds 10 --seed 101 --tokens-only
[ -f "$work/corpus-heldout/labels.csv" ] ||
    nice -n 19 "$cli" corpus --out "$work/corpus-heldout" --count 200 --seconds 10 --seed 202 --tokens-only
start=$(date +%s)
nice -n 19 "$cli" train-alignment --corpus "$work/corpus-train" --musifeast "$shared/musifeast17" \
    --eval-corpus "$work/corpus-heldout" --genre-set "$shared/genre" \
    --out "$work/alignment.safetensors" --steps 3000 --batch 64 --seed 1234 --threads 1 --json \
    >"$work/report.json"
echo "train-alignment.sh: trained in $(($(date +%s) - start)) s (features included)"
mkdir -p resources/alignment
cp "$work/alignment.safetensors" resources/alignment/alignment.safetensors
cp "$work/report.json" resources/alignment/training_report.json
nice -n 19 "$cli" eval-alignment --model resources/alignment/alignment.safetensors \
    --corpus "$work/corpus-heldout" --musifeast "$shared/musifeast17" --genre-set "$shared/genre"
