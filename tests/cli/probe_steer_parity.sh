#!/usr/bin/env bash
# probe / steer make / generate --steer / --transition end to end on the parity checkpoint:
# a labelled folder of WAVs (made by the CLI itself from two prompts) is teacher-forced and
# analysed per layer; a vector made from it steers generation (codes change; alpha 0 keeps
# them); a vector of another model is refused; --generate records while generating.
set -euo pipefail
cli=$1
parity=${MOODSTEER_SHARED:?}/parity
if [ ! -f "$parity/model.safetensors" ]; then
    echo "*** PARITY FIXTURES NOT FOUND at $parity: probe/steer CLI NOT checked ***"; exit 0
fi
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
mkdir "$dir/data"
echo "file,label,prompt_ids" > "$dir/data/labels.csv"
for i in 1 2 3 4; do
    "$cli" generate --model "$parity" --prompt-ids 5,9,1 --seed $i --steps 16 --out "$dir/data/a$i.wav" --quiet
    "$cli" generate --model "$parity" --prompt-ids 7,3,1 --seed $i --steps 16 --out "$dir/data/b$i.wav" --quiet
    echo "a$i.wav,alpha,5 9 1" >> "$dir/data/labels.csv"
    echo "b$i.wav,beta,7 3 1" >> "$dir/data/labels.csv"
done
"$cli" probe --model "$parity" --data "$dir/data" --out "$dir/report.json" --csv "$dir/curves.csv" \
    --activations "$dir/acts.safetensors" --layer 1 --quiet > "$dir/probe.txt"
grep -q "best layer by probe accuracy" "$dir/probe.txt"
grep -q "Jaccard (layer 1" "$dir/probe.txt"
test "$(wc -l < "$dir/curves.csv")" -eq 3   # header + 2 layers
grep -q '"best_layer_by_accuracy"' "$dir/report.json"
test ! -e "$dir/report.json.activations.safetensors"
# Analyse the kept activations again without the model: the same report.
"$cli" probe --from-activations "$dir/acts.safetensors" --out "$dir/report2.json" --layer 1 --quiet > /dev/null
cmp "$dir/report.json" "$dir/report2.json"

# Vectors: a class direction (probe), a class-mean one and a valence-free set refusing valence.
"$cli" steer make --activations "$dir/acts.safetensors" --label beta --layer 1 --out "$dir/beta.st" > /dev/null
"$cli" steer make --activations "$dir/acts.safetensors" --label alpha --layer 0 --method means --out "$dir/alpha.st" > /dev/null
"$cli" steer show "$dir/beta.st" --json | grep -q '"label":"beta"'
if "$cli" steer make --activations "$dir/acts.safetensors" --label valence --layer 1 --out "$dir/v.st" 2> "$dir/err.txt"; then
    echo "valence vector from a set without valence should fail"; exit 1
fi
grep -q "valence" "$dir/err.txt"; test ! -e "$dir/v.st"

codes() { tail -c 512 "$1"; }   # int64 [4, 16] codes: the last 512 bytes of the file
gen() { "$cli" generate --model "$parity" --prompt-ids 5,9,1 --seed 9 --steps 16 --quiet "$@"; }
gen --out "$dir/plain.wav" --codes-out "$dir/plain.codes"
gen --out "$dir/zero.wav" --codes-out "$dir/zero.codes" --steer "$dir/beta.st:0"
gen --out "$dir/steer.wav" --codes-out "$dir/steer.codes" --steer "$dir/beta.st:1.0" --steer "$dir/alpha.st:-0.5:1"
gen --out "$dir/fade.wav" --codes-out "$dir/fade.codes" --transition "$dir/alpha.st:$dir/beta.st:1.0"
cmp <(codes "$dir/plain.codes") <(codes "$dir/zero.codes")
! cmp -s <(codes "$dir/plain.codes") <(codes "$dir/steer.codes")
! cmp -s <(codes "$dir/plain.codes") <(codes "$dir/fade.codes")
grep -q '"steering"' "$dir/steer.recipe.json"
grep -q 'ramp' "$dir/fade.recipe.json"
# The sidecar regenerates the steered clip exactly.
"$cli" generate --recipe "$dir/steer.recipe.json" --out "$dir/again.wav" --codes-out "$dir/again.codes" --quiet
cmp <(codes "$dir/steer.codes") <(codes "$dir/again.codes")

# A vector made for another model is refused with a clear message and no output.
# (same-length id so that the safetensors header length stays valid)
id=$("$cli" steer show "$dir/beta.st" --json | sed 's/.*"model_id":"\([^"]*\)".*/\1/')
other=$(printf '%s' "$id" | tr 'A-Za-z0-9' 'QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ')
sed "s|\"model_id\":\"$id\"|\"model_id\":\"$other\"|" "$dir/beta.st" > "$dir/other.st"
if gen --out "$dir/bad.wav" --steer "$dir/other.st:0.5" 2> "$dir/err.txt"; then
    echo "a vector of another model should be refused"; exit 1
fi
grep -q "$other" "$dir/err.txt"; test ! -e "$dir/bad.wav"

# --generate: recording while generating, two labels with prompt ids.
"$cli" probe --model "$parity" --generate 3 --labels x,y --label-prompt-ids "x=5,9,1;y=7,3,1" \
    --steps 8 --pooling last --out "$dir/gen.json" --json --quiet > "$dir/gen.out"
grep -q '"last"' "$dir/gen.out"
echo "probe/steer CLI: OK"
