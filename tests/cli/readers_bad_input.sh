#!/usr/bin/env bash
# Readers on hostile inputs (docs/reliability.md): a FIFO, a device, a folder or an oversized
# file where a recipe, steering vector, audio file or head is expected, and prompts far beyond
# the text encoder's limit. Each must fail (within 120 s even on a loaded machine; model loading dominates) with exactly one line on stderr that
# names the file (or says the prompt is too long), and leave no output file. On main these hung
# (FIFO), grew to GBs (/dev/zero), or were OOM-killed / printed a LibTorch stack trace.
set -uo pipefail
cli=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
out="$dir/out"; mkdir -p "$out"
fail=0
mkfifo "$dir/pipe"
mkdir "$dir/folder.json"
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' > "$dir/big.recipe.json"
expect_failure() {
    local what=$1 needle=$2; shift 2
    local err rc lines
    err=$(timeout 120 "$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 124 ]; then echo "FAIL ($what): hung (killed after 120 s)"; fail=1; return; fi
    if [ $rc -eq 0 ]; then echo "FAIL ($what): exit code 0"; fail=1; fi
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$lines" -ne 1 ]; then echo "FAIL ($what): expected one line, got: $err"; fail=1; fi
    if ! printf '%s' "$err" | grep -qF -- "$needle"; then
        echo "FAIL ($what): '$needle' not in: $err"; fail=1
    fi
    if [ -n "$(ls -A "$out")" ]; then echo "FAIL ($what): left files: $(ls -A "$out")"; fail=1; rm -rf "${out:?}"/*; fi
    echo "ok ($what): $err"
}
gen=("$cli" generate --seconds 0.5 --out "$out/x.wav" --quiet)
expect_failure "FIFO as recipe" "$dir/pipe" "${gen[@]}" --recipe "$dir/pipe"
expect_failure "/dev/zero as recipe" "character device" "${gen[@]}" --recipe /dev/zero
expect_failure "folder as recipe" "is a folder" "${gen[@]}" --recipe "$dir/folder.json"
expect_failure "oversized recipe" "above the limit of 1 MB for a recipe" "${gen[@]}" --recipe "$dir/big.recipe.json"
expect_failure "FIFO as steering vector" "$dir/pipe" "${gen[@]}" --prompt jazz --steer "$dir/pipe:0.5"
expect_failure "/dev/zero as steering vector" "character device" "${gen[@]}" --prompt jazz --steer /dev/zero:0.5
expect_failure "FIFO as audio" "$dir/pipe" "$cli" predict-emotion "$dir/pipe"
expect_failure "FIFO as emotion head" "$dir/pipe" "$cli" predict-emotion --head "$dir/pipe" "$dir/none.wav"
# Prompts: refused in one line, fast, before the encoder allocates anything.
long=$(head -c 120000 /dev/zero | tr "\0" x)
expect_failure "120,000-character prompt" "bytes long" "${gen[@]}" --prompt "$long"
words=$(for i in $(seq 1 1500); do printf 'calm jazz '; done)
expect_failure "3,000-word prompt" "tokens long" "${gen[@]}" --prompt "$words"
exit $fail
