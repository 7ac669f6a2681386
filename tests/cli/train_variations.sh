#!/usr/bin/env bash
# train-variations end to end on a tiny corpus: both stages train, each resumes from its
# checkpoint (the diffusion stage once could not: its U-Net's submodule "in" made the
# checkpoint archive unreadable), the logs keep one line per step across the resume, the
# weights folder drives `variations` (a valence shift included) and `bench-variations`, and a
# checkpoint of another shape is one clear line.
set -uo pipefail
cli=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail=0
"$cli" corpus --out "$dir/corpus" --count 4 --seconds 9 --seed 5 --tokens-only >/dev/null 2>&1 ||
    { echo "FAIL: corpus did not run"; exit 1; }
out="$dir/model"
train() { "$cli" train-variations --corpus "$dir/corpus" --out "$out" --threads 1 --checkpoint-every 1 "$@" 2>"$dir/err"; }
steps_logged() { tail -n +2 "$1" | cut -d, -f1 | tr '\n' ' '; }

train --stage vae --vae-steps 2 || { echo "FAIL: vae stage: $(cat "$dir/err")"; exit 1; }
train --stage vae --vae-steps 4 || { echo "FAIL: vae resume: $(cat "$dir/err")"; exit 1; }
grep -q "resum" "$dir/err" || { echo "FAIL: the vae stage did not say it resumed: $(cat "$dir/err")"; fail=1; }
[ "$(steps_logged "$out/vae_training_log.csv")" = "1 2 3 4 " ] ||
    { echo "FAIL: vae log steps: $(steps_logged "$out/vae_training_log.csv")"; fail=1; }

train --stage diffusion --diffusion-steps 2 || { echo "FAIL: diffusion stage: $(cat "$dir/err")"; exit 1; }
[ -s "$out/checkpoint/diffusion_state.pt" ] || { echo "FAIL: no diffusion checkpoint"; fail=1; }
train --stage diffusion --diffusion-steps 4 || { echo "FAIL: diffusion resume: $(cat "$dir/err")"; exit 1; }
grep -q "resum" "$dir/err" || { echo "FAIL: the diffusion stage did not say it resumed: $(cat "$dir/err")"; fail=1; }
[ "$(steps_logged "$out/diffusion_training_log.csv")" = "1 2 3 4 " ] ||
    { echo "FAIL: diffusion log steps: $(steps_logged "$out/diffusion_training_log.csv")"; fail=1; }
for f in config.json vae.safetensors diffusion.safetensors; do
    [ -s "$out/$f" ] || { echo "FAIL: $f missing"; fail=1; }
done
ls "$out" | grep -q 'tmp' && { echo "FAIL: temporaries left: $(ls "$out")"; fail=1; }

# The trained folder is a variation model: one variation of a corpus piece.
codes=$(find "$dir/corpus" -name '*.safetensors' | head -1)
mkdir -p "$dir/var"
"$cli" variations "$codes" --out "$dir/var" --count 1 --ddim-steps 2 --model "$out" --threads 1 \
    >/dev/null 2>"$dir/err" || { echo "FAIL: variations on the trained model: $(cat "$dir/err")"; fail=1; }
[ -s "$dir/var/variation-1.wav" ] || { echo "FAIL: no variation-1.wav"; fail=1; }
# A model trained now conditions on valence as well: a valence shift is taken and recorded.
mkdir -p "$dir/bright"
"$cli" variations "$codes" --out "$dir/bright" --count 1 --ddim-steps 2 --model "$out" --threads 1 \
    --shift-valence 2 >/dev/null 2>"$dir/err" ||
    { echo "FAIL: --shift-valence on the trained model: $(cat "$dir/err")"; fail=1; }
grep -q '"shift_valence": *2' "$dir/bright/variation-1.json" ||
    { echo "FAIL: the recipe does not keep the valence shift: $(cat "$dir/bright/variation-1.json")"; fail=1; }

# bench-variations runs on it end to end: every row, and both shift rows (the model has a
# valence channel), each judged on both inputs.
"$cli" bench-variations --model "$out" --corpus "$dir/corpus" --segments 2 --count 2 \
    --ddim-steps 2 --judge-every 1 --json >"$dir/bench.json" 2>"$dir/err" ||
    { echo "FAIL: bench-variations: $(cat "$dir/err")"; fail=1; }
python3 - "$dir/bench.json" <<'PY' || fail=1
import json, sys
j = json.load(open(sys.argv[1]))
names = [s["name"] for s in j["shifts"]]
ok = names == ["arousal -2, s = 0.6", "valence +2, s = 0.6", "arousal -2, s = 1", "valence +2, s = 1"]
ok = ok and all(s["pairs"] == 2 for s in j["shifts"])
ok = ok and len(j["rows"]) == 5 and all(r["emotion_pairs"] == 2 for r in j["rows"][:3])
if not ok:
    print("FAIL: bench-variations report:", json.dumps(j)[:600])
sys.exit(0 if ok else 1)
PY

# A checkpoint from another model: one line naming it, nothing trained over it.
cp "$out/checkpoint/vae_state.pt" "$out/checkpoint/diffusion_state.pt"
if train --stage diffusion --diffusion-steps 6; then echo "FAIL: a VAE checkpoint resumed the diffusion stage"; fail=1; fi
[ "$(grep -c . "$dir/err")" -eq 1 ] || { echo "FAIL: not one line: $(cat "$dir/err")"; fail=1; }
grep -q "diffusion_state.pt" "$dir/err" || { echo "FAIL: error does not name the checkpoint: $(cat "$dir/err")"; fail=1; }
echo "wrong checkpoint: $(cat "$dir/err")"
exit $fail
