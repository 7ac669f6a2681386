#!/usr/bin/env bash
# moodsteer-cli train interrupted end to end (issue 23, section 1): SIGINT and SIGTERM stop after
# the current step with 130/143 and one line, keep a loadable model and the checkpoint, and a
# rerun of the same command resumes from it; SIGKILL leaves no temporary taken for a real file
# and the rerun resumes from the last checkpoint; a refused run creates no folder.
set -uo pipefail
cli=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
debris() { find "$1" -name '*moodsteer-tmp*' -o -name '*moodsteer-old*' | grep -c .; }
"$cli" corpus --out "$dir/corpus" --count 8 --seconds 4 --tokens-only >/dev/null 2>&1 || exit 1
tiny=(--corpus "$dir/corpus" --batch 2 --lm-width 32 --lm-layers 1 --lm-heads 2
      --lm-ffn 64 --text-width 32 --text-layers 1 --threads 1 --checkpoint-every 3)

# A refused run (crop not a multiple of the LARA window) creates nothing.
err=$("$cli" train "${tiny[@]}" --crop 32 --steps 5 --out "$dir/refused" 2>&1); rc=$?
check "refused run: exit 1, one line ($err)" '[ $rc -eq 1 ] && [ "$(printf "%s\n" "$err" | grep -c .)" -eq 1 ]'
check "refused run: no output folder" '[ ! -e "$dir/refused" ]'

# Waits until the run writing progress to $1 has passed step $2 (progress lines are \r-joined).
wait_step() {
    for _ in $(seq 300); do
        s=$(tr '\r' '\n' < "$1" | grep -o 'step [0-9]*' | tail -1 | tr -dc 0-9)
        [ -n "$s" ] && [ "$s" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

m=$dir/model
for sig in INT TERM; do
    "$cli" train "${tiny[@]}" --crop 50 --steps 100000 --out "$m" 2>"$dir/err-$sig" &
    pid=$!
    # The SIGTERM run resumes where the SIGINT run stopped: wait for steps of its own.
    goal=$([ $sig = INT ] && echo 7 || echo $((stopped + 4)))
    wait_step "$dir/err-$sig" $goal || echo "run never reached step $goal: $(tail -c 300 "$dir/err-$sig")"
    kill -$sig $pid; wait $pid; rc=$?
    want=$([ $sig = INT ] && echo 130 || echo 143)
    last=$(tr '\r' '\n' < "$dir/err-$sig" | grep -o "moodsteer-cli train:.*")
    check "SIG$sig: exit $want (got $rc: $last)" '[ $rc -eq $want ]'
    check "SIG$sig: one line saying where it stopped" '[ "$(printf "%s\n" "$last" | grep -c .)" -eq 1 ] && [[ "$last" == *"stopped after step"* ]]'
    check "SIG$sig: model, config, log and checkpoint kept" '[ -s "$m/model.safetensors" ] && [ -s "$m/config.json" ] && [ -s "$m/training_log.csv" ] && [ -s "$m/checkpoint/state.pt" ]'
    check "SIG$sig: no temporaries" '[ "$(debris "$m")" -eq 0 ]'
    stopped=$(tr '\r' '\n' < "$dir/err-$sig" | grep -o "stopped after step [0-9]*" | tr -dc 0-9)
done
check "the SIGTERM run resumed from the SIGINT run's checkpoint" 'grep -q "resuming from step" "$dir/err-TERM"'
logged=$(tail -1 "$m/training_log.csv" | cut -d, -f1)
check "the log ends at the step the run stopped after ($stopped, $logged)" '[ -n "$stopped" ] && [ "$stopped" = "$logged" ]'
"$cli" generate --model "$m" --prompt "calm jazz" --seconds 1 --quiet --out "$dir/g.wav"
check "the interrupted model generates" '[ $? -eq 0 ] && [ -s "$dir/g.wav" ]'

# SIGKILL: nothing half-written is ever taken for a real file; the rerun resumes and finishes.
"$cli" train "${tiny[@]}" --crop 50 --steps 100000 --out "$m" 2>"$dir/err-KILL" &
pid=$!
wait_step "$dir/err-KILL" $((stopped + 7)) || echo "killed run never progressed"
kill -KILL $pid; wait $pid 2>/dev/null
final=$((stopped + 20))
"$cli" train "${tiny[@]}" --crop 50 --steps $final --out "$m" 2>"$dir/err-after"; rc=$?
check "after SIGKILL: rerun exits 0 (got $rc)" '[ $rc -eq 0 ]'
check "after SIGKILL: the rerun resumed from a checkpoint" 'grep -q "resuming from step" "$dir/err-after"'
check "after SIGKILL: no temporaries left" '[ "$(debris "$m")" -eq 0 ]'
check "after SIGKILL: log ends at step $final" '[ "$(tail -1 "$m/training_log.csv" | cut -d, -f1)" = "$final" ]'
exit $fail
