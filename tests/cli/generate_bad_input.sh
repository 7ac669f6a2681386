#!/usr/bin/env bash
# Bad input: exit code != 0, exactly one line on stderr, no output file left behind.
set -uo pipefail
cli=$1
parity=${MOODSTEER_SHARED:?}/parity
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail=0
expect_failure() {
    local what=$1; shift
    local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
    if [ $rc -eq 0 ]; then echo "FAIL ($what): exit code 0"; fail=1; fi
    local lines; lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$lines" -ne 1 ]; then echo "FAIL ($what): expected one line, got: $err"; fail=1; fi
    if [ -n "$(ls -A "$dir")" ]; then echo "FAIL ($what): left files: $(ls -A "$dir")"; fail=1; rm -rf "${dir:?}"/* "$dir"/.[!.]* 2>/dev/null; fi
    echo "ok ($what): $err"
}
expect_failure "missing folder" "$cli" generate --model /nonexistent --prompt-ids 1 --out "$dir/x.wav"
mkdir -p "$dir/../ms-empty-$$"; 
expect_failure "folder without files" "$cli" generate --model "$dir/../ms-empty-$$" --prompt-ids 1 --out "$dir/x.wav"
rmdir "$dir/../ms-empty-$$"
expect_failure "bad extension" "$cli" generate --model "$parity" --prompt-ids 1 --out "$dir/x.mp3"
expect_failure "zero seconds" "$cli" generate --model "$parity" --prompt-ids 1 --seconds 0 --out "$dir/x.wav"
expect_failure "too long" "$cli" generate --model "$parity" --prompt-ids 1 --seconds 100000 --out "$dir/x.wav"
expect_failure "unwritable folder" "$cli" generate --model "$parity" --prompt-ids 1 --out /nonexistent/dir/x.wav
expect_failure "text without tokenizer" "$cli" generate --model "$parity" --prompt "hello" --out "$dir/x.wav"
expect_failure "bad ids" "$cli" generate --model "$parity" --prompt-ids 1,x --out "$dir/x.wav"
expect_failure "unknown option" "$cli" generate --model "$parity" --bogus 1 --out "$dir/x.wav"
expect_failure "no out" "$cli" generate --model "$parity" --prompt-ids 1
expect_failure "zero takes" "$cli" generate --model "$parity" --prompt-ids 1 --takes 0 --out "$dir/x.wav"
expect_failure "nine takes" "$cli" generate --model "$parity" --prompt-ids 1 --takes 9 --out "$dir/x.wav"
expect_failure "takes continue" "$cli" generate --model "$parity" --prompt-ids 1 --takes 2 --continue "$dir/x.st" --out "$dir/x.wav"
expect_failure "emotion guidance without a target" "$cli" generate --prompt "jazz" --emotion-guidance 6 --out "$dir/x.wav"
expect_failure "emotion guidance without an AV encoder" "$cli" generate --model "$parity" --prompt-ids 1 --emotion-guidance 6 --out "$dir/x.wav"
expect_failure "negative emotion guidance" "$cli" generate --valence 5 --arousal 5 --emotion-guidance -1 --out "$dir/x.wav"
expect_failure "six takes with emotion guidance" "$cli" generate --valence 5 --arousal 5 --emotion-guidance 6 --takes 6 --out "$dir/x.wav"
expect_failure "bad kv cache" "$cli" generate --model "$parity" --prompt-ids 1 --kv-cache fp8 --out "$dir/x.wav"
expect_failure "bench positions" "$cli" bench --config "$parity/config.json" --positions 0,x
expect_failure "bench takes" "$cli" bench --config "$parity/config.json" --takes 1,16
expect_failure "bench kv cache" "$cli" bench --config "$parity/config.json" --kv-cache bf16,fp8
# A corrupt checkpoint: truncated weights.
bad="$dir/../ms-bad-$$"; mkdir -p "$bad"
cp "$parity/config.json" "$bad/"; head -c 1000 "$parity/model.safetensors" > "$bad/model.safetensors"
expect_failure "corrupt weights" "$cli" generate --model "$bad" --prompt-ids 1 --out "$dir/x.wav"
# Unknown model type.
sed 's/"model_type": "musicgen"/"model_type": "llama"/' "$parity/config.json" > "$bad/config.json"
cp "$parity/model.safetensors" "$bad/"
expect_failure "unknown model type" "$cli" generate --model "$bad" --prompt-ids 1 --out "$dir/x.wav"
rm -rf "$bad"
exit $fail
