#!/usr/bin/env bash
# Re-makes the embedded model's genre steering vectors (resources/steering) and the figures in
# resources/steering/README.md: 160 held-out corpus pieces (seed 99, not the training seed),
# activations and per-layer analysis, one softmax-probe direction per genre at the layer
# where k-means agrees best with genre (ARI), and the steering benchmark.
#   scripts/make-steering.sh [BUILD_DIR] [WORK_DIR] [MODEL]
# Writes WORK_DIR/vec/*.safetensors; copy them into resources/steering/ to ship them.
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/moodsteer-steering}
model=${3:-embedded}
cli="$build/app/moodsteer-cli"
mkdir -p "$work/vec"
if [ ! -f "$work/corpus/labels.csv" ]; then
    "$cli" corpus --out "$work/corpus" --count 160 --seconds 10 --seed 99 --tokens-only
fi
# The probe reads file,label[,valence,arousal]: the corpus' first four columns, renamed.
cut -d, -f1-4 "$work/corpus/labels.csv" | sed '1s/^file,genre,/file,label,/' > "$work/labels.csv"
mkdir -p "$work/data"
ln -sf "$work"/corpus/piece_*.safetensors "$work/data/"
cp "$work/labels.csv" "$work/data/labels.csv"
"$cli" probe --model "$model" --data "$work/data" --activations "$work/acts.safetensors" \
    --out "$work/report.json" --csv "$work/curves.csv" | tee "$work/probe.txt"
layer=$(sed -n 's/.*"best_layer_by_ari": *\([0-9]*\).*/\1/p' "$work/report.json" | head -1)
echo "steering layer (best by ARI): $layer"
vectors=()
for genre in classical electronic jazz rock; do
    "$cli" steer make --activations "$work/acts.safetensors" --label "$genre" --layer "$layer" \
        --method probe --out "$work/vec/$genre.safetensors"
    vectors+=(--vector "$genre=$work/vec/$genre.safetensors")
done
"$cli" steer bench --model "$model" --pairs classical:rock,jazz:electronic,rock:classical \
    "${vectors[@]}" --alphas 0,0.25,0.5,0.75,1,1.5 --seeds 1,2,3 --seconds 8 \
    --out "$work/steer-report.json" --csv "$work/steer-summary.csv"
