#!/usr/bin/env bash
# One table of bad (and boundary) options and recipe fields for every command: each row gives
# the expected exit code and a fragment of the one-line error. Values are parsed at the full
# width they are stored in (no wrap, truncation or silent clamping), a repeated option or a
# stray argument is an error, every error names the option or the file and field, a refused
# run leaves no file. Rows marked "ok" must succeed.
set -uo pipefail
cli=$1
parity=${MOODSTEER_SHARED:?}/parity
if [ ! -f "$parity/model.safetensors" ]; then
    echo "*** PARITY FIXTURES NOT FOUND at $parity: option table NOT checked ***"; exit 0
fi
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
work=$dir/work; mkdir -p "$work"
fail=0; rows=0
gen=(generate --model "$parity" --prompt-ids 5,9,1 --quiet)

# row RC FRAGMENT ARGS...: RC 0 = must succeed; FRAGMENT must appear in stderr (failures)
row() {
    local want=$1 fragment=$2; shift 2
    rows=$((rows + 1))
    local err rc
    err=$(cd "$work" && "$cli" "$@" 2>&1 >/dev/null); rc=$?
    local what="$*"
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL [$what]: exit $rc, want $want: $err"; fail=1
    elif [ "$want" -ne 0 ]; then
        if [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ]; then
            echo "FAIL [$what]: want one line, got: $err"; fail=1
        elif [[ "$err" != *"$fragment"* ]]; then
            echo "FAIL [$what]: want '$fragment' in: $err"; fail=1
        elif [ -n "$(ls -A "$work")" ]; then
            echo "FAIL [$what]: left files: $(ls -A "$work")"; fail=1
        else
            echo "ok   [$what]: $err"
        fi
    else
        echo "ok   [$what]"
    fi
    rm -rf "${work:?}"/* "$work"/.[!.]* 2>/dev/null
}

# --- numeric options: full width, ranges, units -------------------------------------------
row 2 "--steps must be an integer in [1, 2147483647] (decode frames), got '4294967297'" "${gen[@]}" --steps 4294967297 --out x.wav
row 2 "--steps must be an integer in [1, 2147483647]" "${gen[@]}" --steps 0 --out x.wav
row 2 "--steps must be an integer in [1, 2147483647]" "${gen[@]}" --steps -3 --out x.wav
row 2 "--steps must be an integer" "${gen[@]}" --steps 2.5 --out x.wav
row 2 "--top-k must be an integer in [1, 2147483647]" "${gen[@]}" --top-k 4294967296 --out x.wav
row 2 "--top-k must be an integer in [1, 2147483647]" "${gen[@]}" --top-k 0 --out x.wav
row 2 "--top-k must be an integer in [1, 2147483647]" "${gen[@]}" --top-k -5 --out x.wav
row 2 "--top-k must be at most the model's vocabulary" "${gen[@]}" --top-k 100000 --steps 2 --out x.wav
row 2 "--top-p must be a number in (0, 1]" "${gen[@]}" --top-p 2 --out x.wav
row 2 "--top-p must be a number in (0, 1]" "${gen[@]}" --top-p -1 --out x.wav
row 2 "--top-p must be a number in (0, 1]" "${gen[@]}" --top-p 0 --out x.wav
row 2 "--seed must be an unsigned 64-bit integer in 0..18446744073709551615" "${gen[@]}" --seed -1 --out x.wav
row 2 "--seed must be an unsigned 64-bit integer" "${gen[@]}" --seed 18446744073709551616 --out x.wav
row 2 "--seed must be an unsigned 64-bit integer" "${gen[@]}" --seed 1.5 --out x.wav
row 0 "" "${gen[@]}" --seed 18446744073709551615 --steps 2 --out x.wav
row 2 "--seconds must be a number in (0, 3600] (seconds), got '1e308'" "${gen[@]}" --seconds 1e308 --out x.wav
row 2 "--seconds must be a number in (0, 3600]" "${gen[@]}" --seconds 0 --out x.wav
row 2 "--seconds must be a number in (0, 3600]" "${gen[@]}" --seconds nan --out x.wav
row 2 "--valence must be a number in [1, 9]" "${gen[@]}" --valence 10 --arousal 5 --out x.wav
row 2 "--valence needs --arousal" "${gen[@]}" --valence 5 --out x.wav
row 2 "--arousal needs --valence" "${gen[@]}" --arousal 5 --out x.wav
row 2 "--guidance must be a number in [0, 100]" "${gen[@]}" --guidance inf --out x.wav
row 2 "--guidance must be a number in [0, 100]" "${gen[@]}" --guidance -1 --out x.wav
row 2 "--temperature must be a number in (0, 100]" "${gen[@]}" --temperature 0 --out x.wav
row 2 "--threads must be an integer in [1, $(nproc)]" "${gen[@]}" --threads 100000 --out x.wav
row 2 "--threads must be an integer in [1, $(nproc)]" "${gen[@]}" --threads 0 --out x.wav
row 2 "--steer alpha must be a number in [-100, 100]" "${gen[@]}" --steer v.safetensors:1e308 --out x.wav
row 2 "--steer layer must be an integer in [0, 1024]" "${gen[@]}" --steer v.safetensors:0.5:1e12 --out x.wav
# --- the shared parser: repeated options, stray arguments, missing values, unknown options
row 2 "option --steps is given more than once" "${gen[@]}" --steps 2 --steps 3 --out x.wav
row 2 "option --quiet is given more than once" "${gen[@]}" --quiet --steps 2 --out x.wav
row 2 "unexpected argument 'extra'" "${gen[@]}" --steps 2 --out x.wav extra
row 2 "option --seconds needs a value" "${gen[@]}" --seconds --out x.wav
row 2 "unknown option --bogus" "${gen[@]}" --out x.wav --bogus
row 2 "unknown option --bogus" train --corpus c --out o --bogus
row 2 "unknown option --bogus" corpus --out c --count 2 --bogus
row 2 "--folds must be an integer in [2, 1000]" probe --from-activations a.safetensors --out r.json --folds 1
row 2 "--generate must be an integer in [2, 1000000]" probe --generate 1 --out r.json
row 2 "--valence needs --arousal" corpus --out c --count 2 --valence 5
row 2 "--seed must be an unsigned 64-bit integer" corpus --out c --count 2 --seed -1
row 2 "--steps must be an integer in [1, 2147483647]" bench --steps 4294967297
row 2 "--clips-per-point must be an integer in [1, 1000000]" bench-emotion --clips-per-point 0
row 2 "--session-minutes must be a number in [0, 1000000]" bench-stream --session-minutes -1
row 2 "--emotion-check must be a number in [0, 8]" session --minutes 1 --preset calm --emotion-check 9 --out x.wav
row 2 "--emotion-check must be a number in [0, 8]" session --minutes 1 --preset calm --emotion-check -0.5 --out x.wav
row 2 "--emotion-check must be a number in [0, 8]" bench-session --emotion-check nan
row 2 "--precision must be f32, bf16, int8 or int4, got 'f16'" bench-stream --precision f16
row 2 "--model: no such file 'nowhere.json'" bench-stream --model nowhere.json
row 2 "--accept-seconds must be a number in [0, 3600]" bench-stream --accept-seconds -1
row 2 "--push-frames must be an integer in [1, 100000]" bench-codec --push-frames 0
row 2 "--config: no such file 'nowhere.json'" bench-codec --config nowhere.json
row 2 "--folds must be an integer in [2, 1000]" train-emotion --data d --encoder dsp --out h.json --folds 1
row 2 "--layer must be an integer in [0, 1024]" steer make --activations a --label x --layer 1000000000000 --out v.safetensors
row 2 "--seeds: '-1' is not an unsigned 64-bit integer" steer bench --pairs a:b --seeds 1,-1
row 2 "--alphas: '1e308' is not a number in [-100, 100]" steer bench --pairs a:b --alphas 0.5,1e308
row 2 "unexpected argument 'stray'" train-emotion stray --data d --encoder dsp --out h.json
row 2 "--model expects a model folder, but '$parity/config.json' is a file" generate --model "$parity/config.json" --prompt-ids 1 --out x.wav
row 1 "model folder 'nowhere' does not exist" eval-lm --model nowhere --corpus c
row 2 "unexpected argument 'stray'" eval-lm stray --model m --corpus c
# train has --json (it used to be an unknown option): the error is about the corpus.
row 1 "corpus" train --json --corpus "$dir/no-corpus" --out o
# Representation regularisation and data-parallel options (refused before any training).
row 2 "--rr-lambda must be a number in [0, 1000]" train --corpus c --out o --rr-lambda -1
row 2 "--rr-pool must be 'max' or 'mean', not 'avg'" train --corpus "$dir" --out o --rr-pool avg
row 2 "--master-port must be an integer in [1, 65535]" train --corpus c --out o --master-port 70000
row 2 "--world-size must be an integer in [1, 65536]" train --corpus c --out o --world-size 0
row 2 "rank 2 is outside world size 2" train --corpus "$dir" --out o --world-size 2 --rank 2
WORLD_SIZE=two row 2 "environment variable WORLD_SIZE='two'" train --corpus "$dir" --out o

# --- recipe fields: name the file and the field ------------------------------------------
recipe() { printf '%s' "$1" > "$dir/r.json"; }
recipe '{"steps": 1099511627776}'
row 1 "$dir/r.json: \"steps\" must be an integer in [0, 2147483647], got 1099511627776" generate --recipe "$dir/r.json" --out x.wav
recipe '{"seed": 1.5}'
row 1 "$dir/r.json: \"seed\" must be an unsigned 64-bit integer, got 1.5" generate --recipe "$dir/r.json" --out x.wav
recipe '{"steering": [{"vector": "v.safetensors", "layer": 1000000000000, "alpha": 0.5}]}'
row 1 "$dir/r.json: steering[0]: \"layer\" must be an integer in [-1, 1024]" generate --recipe "$dir/r.json" --out x.wav
recipe '{"steering": [{"vector": "v.safetensors", "layer": 3, "alpha": 1e308}]}'
row 1 "$dir/r.json: steering[0]: \"alpha\" must be a number in [-100, 100]" generate --recipe "$dir/r.json" --out x.wav
recipe '{"seconds": 1e308}'
row 1 "$dir/r.json: \"seconds\" must be a number in (0, 3600]" generate --recipe "$dir/r.json" --out x.wav
recipe '{"emotion_check": 9}'
row 1 "$dir/r.json: \"emotion_check\" must be a number in [0, 8]" generate --recipe "$dir/r.json" --out x.wav
mkdir -p "$dir/folder.json"
row 1 "recipe '$dir/folder.json' is a folder" generate --recipe "$dir/folder.json" --out x.wav

# --- outputs: no silent overwrite; non-UTF-8 text ------------------------------------------
rows=$((rows + 1))
(cd "$work" && "$cli" "${gen[@]}" --steps 2 --out keep.wav) || { echo "FAIL: first generate"; fail=1; }
cp "$work/keep.wav" "$dir/keep.orig"
err=$(cd "$work" && "$cli" "${gen[@]}" --steps 3 --out keep.wav 2>&1); rc=$?
if [ $rc -ne 2 ] || [[ "$err" != *"already exists (use --force to replace it)"* ]] || ! cmp -s "$work/keep.wav" "$dir/keep.orig"; then
    echo "FAIL [no --force]: $rc $err"; fail=1
else echo "ok   [generate refuses to overwrite without --force]: $err"; fi
rows=$((rows + 1))
if (cd "$work" && "$cli" "${gen[@]}" --steps 3 --force --out keep.wav) && ! cmp -s "$work/keep.wav" "$dir/keep.orig"; then
    echo "ok   [--force replaces]"
else echo "FAIL [--force replaces]"; fail=1; fi
rm -rf "${work:?}"/*
row 2 "--prompt is not valid UTF-8" generate --model "$parity" --prompt $'caf\xe9' --json --out x.wav
rows=$((rows + 1))
out=$(cd "$work" && "$cli" "${gen[@]}" --steps 2 --json --out $'\xff\xfe.wav'); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | python3 -c 'import json,sys; json.loads(sys.stdin.read())'; then
    echo "ok   [non-UTF-8 path with --json]"
else echo "FAIL [non-UTF-8 path with --json]: exit $rc: $out"; fail=1; fi

echo "$rows rows"
exit $fail
