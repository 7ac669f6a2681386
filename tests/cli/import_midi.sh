#!/usr/bin/env bash
# import-midi end to end: a corpus piece's MIDI (written by `corpus`) imports to codes, a WAV
# and a recipe; re-importing is refused without --force; bad files (truncated, a FIFO, a WAV
# renamed .mid, /dev/zero) fail with one line naming the file and leave nothing behind.
set -uo pipefail
cli=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail=0
"$cli" corpus --out "$dir/corpus" --count 1 --seconds 6 --tokens-only >/dev/null 2>&1 ||
    { echo "FAIL: corpus did not run"; exit 1; }
mid=$(find "$dir/corpus" -name '*.mid' | head -1)
[ -n "$mid" ] || { echo "FAIL: corpus wrote no .mid"; exit 1; }
out="$dir/out"; mkdir -p "$out"
stem=$(basename "$mid" .mid)
json=$("$cli" import-midi "$mid" --out "$out" --json) || { echo "FAIL: import-midi failed"; fail=1; }
for f in "$stem.wav" "$stem.recipe.json" "$stem.codes.safetensors"; do
    [ -s "$out/$f" ] || { echo "FAIL: $f missing"; fail=1; }
done
grep -q '"imported_from"' "$out/$stem.recipe.json" || { echo "FAIL: recipe lacks imported_from"; fail=1; }
printf '%s' "$json" | grep -q '"approximations": \[\]' || { echo "FAIL: corpus MIDI approximated: $json"; fail=1; }
if "$cli" import-midi "$mid" --out "$out" 2>/dev/null; then echo "FAIL: overwrote without --force"; fail=1; fi
"$cli" import-midi "$mid" --out "$out" --force >/dev/null || { echo "FAIL: --force refused"; fail=1; }

bad="$dir/bad"; mkdir -p "$bad"; empty="$dir/empty"; mkdir -p "$empty"
head -c 40 "$mid" > "$bad/truncated.mid"
printf 'RIFF\0\0\0\0WAVEfmt ' > "$bad/wave.mid"
mkfifo "$bad/pipe.mid"
expect_failure() {
    local what=$1 needle=$2; shift 2
    local err rc
    err=$(timeout 60 "$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 124 ]; then echo "FAIL ($what): hung"; fail=1; return; fi
    if [ $rc -eq 0 ]; then echo "FAIL ($what): exit code 0"; fail=1; fi
    if [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ]; then echo "FAIL ($what): not one line: $err"; fail=1; fi
    printf '%s' "$err" | grep -qF -- "$needle" || { echo "FAIL ($what): '$needle' not in: $err"; fail=1; }
    [ -z "$(ls -A "$empty")" ] || { echo "FAIL ($what): left files"; fail=1; rm -rf "${empty:?}"/*; }
    echo "ok ($what): $err"
}
expect_failure "truncated" "$bad/truncated.mid: truncated" "$cli" import-midi "$bad/truncated.mid" --out "$empty"
expect_failure "WAV named .mid" "starts with 'RIFF'" "$cli" import-midi "$bad/wave.mid" --out "$empty"
expect_failure "FIFO" "$bad/pipe.mid" "$cli" import-midi "$bad/pipe.mid" --out "$empty"
expect_failure "/dev/zero" "character device" "$cli" import-midi /dev/zero --out "$empty"
expect_failure "bad --quantize" "--quantize" "$cli" import-midi "$mid" --out "$empty" --quantize 8th
expect_failure "bad --brightness" "--brightness" "$cli" import-midi "$mid" --out "$empty" --brightness 3
exit $fail
