#!/usr/bin/env bash
# train-alignment, eval-alignment, align: bad options, folders and files give one line naming
# them (and leave no file); the shipped model scores a rendered corpus piece and the zero-shot
# table comes out as JSON.
set -uo pipefail
cli=$1
src=${MOODSTEER_SOURCE:?}
model=$src/resources/alignment/alignment.safetensors
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
work=$dir/work; mkdir -p "$work"
fail=0

row() { # row RC FRAGMENT ARGS...
    local want=$1 fragment=$2; shift 2
    local err rc
    err=$(cd "$work" && "$cli" "$@" 2>&1 >/dev/null); rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL [$*]: exit $rc, want $want: $err"; fail=1
    elif [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ]; then
        echo "FAIL [$*]: want one line, got: $err"; fail=1
    elif [[ "$err" != *"$fragment"* ]]; then
        echo "FAIL [$*]: want '$fragment' in: $err"; fail=1
    elif [ -n "$(ls -A "$work")" ]; then
        echo "FAIL [$*]: left files: $(ls -A "$work")"; fail=1
    else
        echo "ok   [$*]: $err"
    fi
    rm -rf "${work:?}"/*
}

mkdir -p "$dir/empty"
printf 'not audio' >"$dir/bad.wav"
printf 'not a model' >"$dir/bad.safetensors"
row 2 "missing required option --corpus" train-alignment --out m.safetensors
row 2 "--corpus '$dir/nope' is not a folder" train-alignment --corpus "$dir/nope" --out m.safetensors
row 2 "--batch must be" train-alignment --corpus "$dir/empty" --out m.safetensors --batch 1
row 2 "--holdout-every must be an integer in [2, 1000]" train-alignment --corpus "$dir/empty" --out m.safetensors --holdout-every 1
row 2 "--lr must be a number" train-alignment --corpus "$dir/empty" --out m.safetensors --lr 0
row 2 "unknown option --epochs" train-alignment --corpus "$dir/empty" --out m.safetensors --epochs 3
row 1 "'$dir/empty' has no labels.csv" train-alignment --corpus "$dir/empty" --out m.safetensors
row 2 "give at least one of --corpus, --musifeast, --genre-set" eval-alignment
row 1 "$dir/bad.safetensors" eval-alignment --model "$dir/bad.safetensors" --genre-set "$dir/empty"
row 2 "missing required option --prompt" align "$dir/bad.wav"
row 2 "give at least one audio FILE" align --prompt "rock music"
row 1 "$dir/bad.safetensors" align --model "$dir/bad.safetensors" --prompt "rock music" "$dir/bad.wav"

if [ -f "$model" ]; then
    row 1 "$dir/bad.wav" align --model "$model" --prompt "rock music" "$dir/bad.wav"
    "$cli" corpus --out "$dir/c" --count 4 --seconds 4 --seed 9 >/dev/null 2>&1 || { echo "FAIL: corpus"; fail=1; }
    out=$("$cli" align --model "$model" --prompt "rock music" --genres classical,electronic,jazz,rock --json "$dir/c/piece_00000.wav" "$dir/c/piece_00003.wav")
    if printf '%s' "$out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert len(j["clips"]) == 2, j
for c in j["clips"]:
    assert -1 <= c["score"] <= 1 and c["genre"] in ("classical", "electronic", "jazz", "rock"), c
'; then echo "ok   [align --json scores two clips]"; else echo "FAIL [align --json]: $out"; fail=1; fi
    out=$("$cli" eval-alignment --model "$model" --corpus "$dir/c" --json 2>/dev/null)
    if printf '%s' "$out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
r = j["zero_shot"][0]
assert r["dataset"] == "corpus" and r["clips"] == 4 and abs(r["chance"] - 0.25) < 1e-9, r
'; then echo "ok   [eval-alignment --json]"; else echo "FAIL [eval-alignment --json]: $out"; fail=1; fi
else
    echo "*** $model not found: the shipped model was NOT checked ***"
fi
exit $fail
