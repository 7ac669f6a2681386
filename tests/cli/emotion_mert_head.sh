#!/usr/bin/env bash
# train-emotion on MERT features with learned layer weights (--weighted-layers), installed with
# --install: predict-emotion then judges with it without --head or --model-dir (the head
# records its MERT model), and falls back to the embedded head when that model is gone.
set -uo pipefail
cli=$1
mert=${MOODSTEER_SHARED:?}/parity/mert
if [ ! -f "$mert/model.safetensors" ]; then
    echo "*** MERT FIXTURES NOT FOUND at $mert: MERT heads NOT checked ***"; exit 0
fi
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
export MOODSTEER_DATA=$dir/data
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
"$cli" corpus --out "$dir/clips" --count 8 --seconds 4 >/dev/null 2>&1 || exit 1
cp -r "$mert" "$dir/mert"
train=(train-emotion --data "$dir/clips" --encoder mert --model-dir "$dir/mert" --no-cache
       --folds 2 --no-genre-cv --window 2)

err=$("$cli" train-emotion --data "$dir/clips" --encoder dsp --weighted-layers --out "$dir/x.safetensors" 2>&1); rc=$?
check "--weighted-layers needs mert: exit 2, one line ($err)" '[ $rc -eq 2 ] && [ "$(printf "%s\n" "$err" | grep -c .)" -eq 1 ]'
err=$("$cli" "${train[@]}" --weighted-layers --layer 1 --out "$dir/x.safetensors" 2>&1); rc=$?
check "--weighted-layers with --layer: exit 2 ($err)" '[ $rc -eq 2 ] && [ ! -e "$dir/x.safetensors" ]'

"$cli" "${train[@]}" --weighted-layers --install --json --out "$dir/head.safetensors" \
    > "$dir/train.json" 2>/dev/null; rc=$?
check "train-emotion --weighted-layers --install: exit 0" '[ $rc -eq 0 ]'
check "three layer weights summing to 1, the model and the installed path reported" 'python3 - "$dir" <<PY
import json, sys
d = sys.argv[1]; j = json.load(open(d + "/train.json"))
w = j["layer_weights"]; assert len(w) == 3 and abs(sum(w) - 1) < 1e-5, w
assert j["layer"] == -2 and j["mert_model"] == d + "/mert", j
assert j["installed"] == d + "/data/emotion/emotion_head_mert.safetensors", j
PY'

"$cli" predict-emotion --json "$dir/clips/piece_00000.wav" > "$dir/p.json"; rc=$?
check "predict-emotion without --head uses the installed MERT head" '[ $rc -eq 0 ] && python3 -c "
import json,sys; j=json.load(open(sys.argv[1]))
assert j[\"head\"].endswith(\"emotion_head_mert.safetensors\") and j[\"encoder\"] == \"mert\" and j[\"layer\"] == -2, j" "$dir/p.json"'

rm -rf "$dir/mert"
"$cli" predict-emotion --json "$dir/clips/piece_00000.wav" > "$dir/p2.json"; rc=$?
check "its MERT model gone: the embedded dsp head judges" '[ $rc -eq 0 ] && python3 -c "
import json,sys; j=json.load(open(sys.argv[1]))
assert j[\"head\"].endswith(\"emotion_head_dsp.safetensors\") and j[\"encoder\"] == \"dsp\", j" "$dir/p2.json"'
err=$("$cli" predict-emotion --head "$dir/head.safetensors" "$dir/clips/piece_00000.wav" 2>&1); rc=$?
check "naming that head: exit 1, one line naming the head ($err)" '[ $rc -eq 1 ] && [ "$(printf "%s\n" "$err" | grep -c .)" -eq 1 ] && [[ "$err" == *head.safetensors* ]]'
exit $fail
