#!/usr/bin/env bash
# generate on the parity checkpoint (exact code/audio parity is tested in core_tests): every output is written with its recipe sidecar; a sidecar regenerates
# the same codes.
set -euo pipefail
cli=$1
parity=${MOODSTEER_SHARED:?}/parity
if [ ! -f "$parity/model.safetensors" ]; then
    echo "*** PARITY FIXTURES NOT FOUND at $parity: CLI parity NOT checked ***"; exit 0
fi
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
"$cli" generate --model "$parity" --prompt-ids 5,9,17,1 --greedy --guidance 3 --steps 22 \
    --out "$dir/a.wav" --codes-out "$dir/a.codes.safetensors" --quiet
test -s "$dir/a.wav" && test -s "$dir/a.recipe.json" && test -s "$dir/a.codes.safetensors"
grep -q '"greedy": true' "$dir/a.recipe.json"
# Regenerate from the sidecar: identical codes.
"$cli" generate --recipe "$dir/a.recipe.json" --out "$dir/b.flac" --codes-out "$dir/b.codes.safetensors" --quiet
cmp "$dir/a.codes.safetensors" "$dir/b.codes.safetensors"
# Sampling with a seed is reproducible across processes.
"$cli" generate --model "$parity" --prompt-ids 5,9,1 --seed 7 --steps 20 --out "$dir/s1.ogg" --codes-out "$dir/s1.st" --quiet
"$cli" generate --model "$parity" --prompt-ids 5,9,1 --seed 7 --steps 20 --out "$dir/s2.ogg" --codes-out "$dir/s2.st" --quiet
cmp "$dir/s1.st" "$dir/s2.st"
# Without --guidance a clip gets the model's default (generation_config.json); a recipe file
# keeps its own.
"$cli" generate --model "$parity" --prompt-ids 5,9,1 --seed 7 --steps 4 --out "$dir/d.wav" --quiet
grep -q '"guidance": 3' "$dir/d.recipe.json"
mkdir "$dir/m"
ln -s "$parity/config.json" "$parity/model.safetensors" "$dir/m/"
echo '{"guidance_scale": 1.5}' > "$dir/m/generation_config.json"
"$cli" generate --model "$dir/m" --prompt-ids 5,9,1 --seed 7 --steps 4 --out "$dir/e.wav" --quiet
grep -q '"guidance": 1.5' "$dir/e.recipe.json"
sed 's/"guidance": 1.5/"guidance": 4/' "$dir/e.recipe.json" > "$dir/f.json"
"$cli" generate --recipe "$dir/f.json" --out "$dir/f.wav" --quiet
grep -q '"guidance": 4' "$dir/f.recipe.json"
# Takes: N clips in one batch, each with its own sidecar and codes file; take 2's recipe alone
# regenerates take 2 exactly (its own seed, the cache it was made with).
"$cli" generate --model "$parity" --prompt-ids 5,9,1 --seed 11 --steps 12 --takes 3 \
    --kv-cache int8 --precision int8 --out "$dir/t.wav" --codes-out "$dir/t.st" --quiet
for k in 1 2 3; do
    test -s "$dir/t-take$k.wav" && test -s "$dir/t-take$k.recipe.json" && test -s "$dir/t-take$k.st"
done
test ! -e "$dir/t.wav"
grep -q '"take": 2' "$dir/t-take2.recipe.json"
grep -q '"seed": 12' "$dir/t-take2.recipe.json"
grep -q '"kv_cache": "int8"' "$dir/t-take2.recipe.json"
"$cli" generate --recipe "$dir/t-take2.recipe.json" --out "$dir/u.wav" --codes-out "$dir/u.st" --quiet
cmp "$dir/t-take2.st" "$dir/u.st"
if cmp -s "$dir/t-take1.st" "$dir/t-take2.st"; then echo "takes 1 and 2 are the same"; exit 1; fi
echo "generate parity: OK"
