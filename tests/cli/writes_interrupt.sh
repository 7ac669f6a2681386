#!/usr/bin/env bash
# Writes, interruption and several writers, end to end (issue 23, section 1):
#  - a failed sidecar never deletes the user's previous keep.wav (transaction + rollback),
#  - a full disk (a tiny tmpfs) gives one line naming the path and keeps the previous files,
#  - temporary names never collide with the user's OUT.activations.safetensors or ACT.spool/,
#  - SIGINT/SIGTERM: exit 130/143, one line, no output and no temporary left,
#  - four concurrent writers of one --out: the audio's embedded recipe and the sidecar agree,
#  - stale temporaries of a killed run are swept at the next start.
set -uo pipefail
cli=$1
parity=${MOODSTEER_SHARED:?}/parity
if [ ! -f "$parity/model.safetensors" ]; then
    echo "*** PARITY FIXTURES NOT FOUND at $parity: writes NOT checked ***"; exit 0
fi
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail=0
gen=(generate --model "$parity" --prompt-ids 5,9,1 --quiet)
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
debris() { find "$1" -name '*moodsteer-tmp*' -o -name '*moodsteer-old*' | grep -c .; }

# 1. The sidecar cannot be written (a folder of that name): keep.wav stays as it was.
t=$dir/t1; mkdir -p "$t"
"$cli" "${gen[@]}" --steps 4 --out "$t/seed.wav"
cp "$t/seed.wav" "$t/keep.wav"; mkdir "$t/keep.recipe.json"
err=$("$cli" "${gen[@]}" --steps 6 --force --out "$t/keep.wav" 2>&1); rc=$?
check "failed sidecar: exit 1 ($err)" '[ $rc -eq 1 ]'
check "failed sidecar: one line naming the sidecar" '[ "$(printf "%s\n" "$err" | grep -c .)" -eq 1 ] && [[ "$err" == *keep.recipe.json* ]]'
check "failed sidecar: keep.wav untouched" 'cmp -s "$t/seed.wav" "$t/keep.wav"'
check "failed sidecar: no temporaries" '[ "$(debris "$t")" -eq 0 ]'

# 2. Disk full while writing --codes-out (and the audio): a 160 KiB tmpfs that holds the
#    previous keep3.* but not a second copy. Needs a private mount namespace.
t=$dir/t2; mkdir -p "$t/full"
"$cli" "${gen[@]}" --steps 40 --out "$t/keep3.wav" --codes-out "$t/keep3.codes"
if unshare -rm true 2>/dev/null; then
    out=$(unshare -rm bash -c '
        mount -t tmpfs -o size=160k tmpfs "$1/full" || exit 77
        cp "$1/keep3.wav" "$1/keep3.recipe.json" "$1/keep3.codes" "$1/full/"
        head -c $(( 160*1024 - $(du -sb "$1/full" | cut -f1) - 30000 )) /dev/zero > "$1/full/filler"
        err=$("$2" generate --model "$3" --prompt-ids 5,9,1 --quiet --steps 60 --force \
              --out "$1/full/keep3.wav" --codes-out "$1/full/keep3.codes" 2>&1); rc=$?
        ok=1
        [ $rc -eq 1 ] || { echo "exit $rc: $err"; ok=0; }
        [ "$(printf "%s\n" "$err" | grep -c .)" -eq 1 ] || { echo "lines: $err"; ok=0; }
        [[ "$err" == *"$1/full/keep3"* && "$err" == *"space"* ]] || { echo "no path/reason: $err"; ok=0; }
        for f in keep3.wav keep3.recipe.json keep3.codes; do
            cmp -s "$1/$f" "$1/full/$f" || { echo "$f changed"; ok=0; }
        done
        [ -z "$(find "$1/full" -name "*moodsteer-*")" ] || { echo "debris: $(ls -A "$1/full")"; ok=0; }
        echo "error: $err"
        [ $ok -eq 1 ]' _ "$t" "$cli" "$parity"); rc=$?
    if [ $rc -eq 77 ]; then echo "skip disk full: cannot mount a tmpfs"
    else check "disk full: clear error, previous files kept ($out)" '[ $rc -eq 0 ]'; fi
else
    echo "skip disk full: no user/mount namespaces here"
fi

# 3. Temporary names never collide with the user's files.
t=$dir/t3; mkdir -p "$t/ACT.safetensors.spool"
echo "user data" > "$t/OUT.json.activations.safetensors"
echo "user spool" > "$t/ACT.safetensors.spool/mine.txt"
probe=(probe --model "$parity" --generate 2 --labels a,b --label-prompt-ids "a=5,9,1;b=4,1" --steps 4 --quiet)
"$cli" "${probe[@]}" --out "$t/OUT.json" >/dev/null
check "probe keeps the user's OUT.activations.safetensors" '[ "$(cat "$t/OUT.json.activations.safetensors")" = "user data" ] && [ -s "$t/OUT.json" ]'
"$cli" "${probe[@]}" --activations "$t/ACT.safetensors" --out "$t/OUT2.json" >/dev/null
check "probe keeps the user's ACT.safetensors.spool/" '[ "$(cat "$t/ACT.safetensors.spool/mine.txt")" = "user spool" ] && [ -s "$t/ACT.safetensors" ]'
check "probe leaves no temporaries" '[ "$(debris "$t")" -eq 0 ]'

# 4. SIGINT / SIGTERM during a long generation: 130 / 143, one line, nothing left.
for sig in INT TERM; do
    t=$dir/t4-$sig; mkdir -p "$t"
    "$cli" generate --model "$parity" --prompt-ids 5,9,1 --steps 1400 --out "$t/long.wav" \
        --codes-out "$t/long.codes" 2>"$t/err" &
    pid=$!
    for _ in $(seq 100); do grep -q "step" "$t/err" 2>/dev/null && break; sleep 0.1; done
    kill -$sig $pid; wait $pid; rc=$?
    # The line may follow the "\rgenerating: step …" progress text on the same line.
    last=$(tr '\r' '\n' < "$t/err" | grep -o "moodsteer-cli generate:.*")
    want=$([ $sig = INT ] && echo 130 || echo 143)
    check "SIG$sig: exit $want (got $rc: $last)" '[ $rc -eq $want ]'
    check "SIG$sig: one line saying interrupted" '[ "$(printf "%s\n" "$last" | grep -c .)" -eq 1 ] && [[ "$last" == *interrupted* ]]'
    check "SIG$sig: no output, no temporaries" '[ -z "$(ls -A "$t" | grep -v "^err$")" ]'
done

# 5. Four concurrent writers of one --out, six rounds: the WAV's embedded recipe (seed) and
#    the sidecar always agree.
t=$dir/t5; mkdir -p "$t"
bad=0
for round in 1 2 3 4 5 6; do
    for w in 1 2 3 4; do
        "$cli" "${gen[@]}" --steps 8 --seed $((round * 10 + w)) --force --out "$t/same.wav" &
    done
    wait
    a=$(grep -a -o '"seed":[0-9]*' "$t/same.wav" | head -1 | tr -dc 0-9)
    b=$(grep -o '"seed": [0-9]*' "$t/same.recipe.json" | tr -dc 0-9)
    [ -n "$a" ] && [ "$a" = "$b" ] || { echo "round $round: wav seed $a, sidecar seed $b"; bad=$((bad + 1)); }
done
check "concurrent writers: audio and sidecar agree in 6 of 6 rounds" '[ $bad -eq 0 ] && [ "$(debris "$t")" -eq 0 ]'

# 6. A killed run's temporaries are swept at the next start; others' files are not.
t=$dir/t6; mkdir -p "$t"
deadpid=999999; while kill -0 $deadpid 2>/dev/null; do deadpid=$((deadpid - 1)); done
echo half > "$t/.x.wav.moodsteer-tmp-$deadpid-abcdef"
echo mine > "$t/.x.wav.tmp-abcdef"
"$cli" "${gen[@]}" --steps 4 --out "$t/y.wav"
check "stale temporary swept" '[ ! -e "$t/.x.wav.moodsteer-tmp-$deadpid-abcdef" ]'
check "a user's look-alike kept" '[ -e "$t/.x.wav.tmp-abcdef" ]'

exit $fail
