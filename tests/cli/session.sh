#!/usr/bin/env bash
# moodsteer-cli session and generate --continue on the embedded model: a session following a
# path, its recipe regenerating it, Ctrl-C keeping finished windows as a valid file with an
# incomplete recipe, continuation of a clip's codes, and one-line failures leaving no files.
set -uo pipefail
cli=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; else echo "ok: $2"; fi; }

# A one-minute calming session (two windows of the embedded model's 40.8 s).
"$cli" session --minutes 1 --preset calm --prompt "calm piano" --seed 3 --quiet --json \
    --out "$dir/s.wav" --codes-out "$dir/s.codes.safetensors" > "$dir/s.json"
check '[ $? -eq 0 ] && [ -s "$dir/s.wav" ] && [ -s "$dir/s.recipe.json" ]' "session writes audio and recipe"
check 'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert 60<=j[\"seconds\"]<60.5, j; assert j[\"silent_windows\"]==0; assert j[\"windows\"]==2, j; assert j[\"recipe\"][\"emotion_path\"][\"keyframes\"][0][2]==8" "$dir/s.json"' "session json: 60 s, 2 windows, none silent, the preset path"
check 'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); r=j[\"recipe\"]; assert r[\"emotion_check\"]==1.0, r; assert [x[\"window\"] for x in r[\"reseeds\"]]==[0,1], r; assert len(j[\"window_tries\"])==2 and all(1<=t<=4 for t in j[\"window_tries\"]), j; assert all(e>=0 for e in j[\"window_emotion_errors\"]), j" "$dir/s.json"' "session json: the emotion check judged both windows and the recipe records their seeds"
"$cli" generate --recipe "$dir/s.recipe.json" --quiet --out "$dir/again.wav" --codes-out "$dir/again.codes.safetensors"
check 'cmp -s "$dir/s.codes.safetensors" "$dir/again.codes.safetensors" || python3 - "$dir" <<PY
import sys, json, struct
def codes(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8+n])
    o = h["codes"]["data_offsets"]; return b[8+n+o[0]:8+n+o[1]]
d = sys.argv[1]; sys.exit(0 if codes(d + "/s.codes.safetensors") == codes(d + "/again.codes.safetensors") else 1)
PY' "the session recipe regenerates the same codes"

# Each window's context is read while the one before it is made (read_ahead in the recipe, which
# regenerated exactly above); --no-read-ahead reads it at the seam, as recipes from before.
check 'python3 -c "import json,sys; assert json.load(open(sys.argv[1]))[\"recipe\"][\"read_ahead\"] is True" "$dir/s.json"' "sessions read each window's context ahead"
"$cli" session --minutes 0.5 --preset calm --prompt "calm piano" --window 12 --emotion-check 0 \
    --no-read-ahead --quiet --json --out "$dir/r.wav" > "$dir/r.json"
check '[ $? -eq 0 ] && python3 -c "import json,sys; assert \"read_ahead\" not in json.load(open(sys.argv[1]))[\"recipe\"]" "$dir/r.json"' "session --no-read-ahead: contexts read at the seams"

# Without the emotion check a session plays each window as the guard accepts it, every 5 s
# (accept_seconds in the recipe); with it (above) windows are judged whole, so none is written.
check 'python3 -c "import json,sys; assert \"accept_seconds\" not in json.load(open(sys.argv[1]))[\"recipe\"]" "$dir/s.json"' "with the emotion check the recipe judges whole windows"
"$cli" session --minutes 0.5 --preset calm --prompt "calm piano" --window 12 --emotion-check 0 \
    --quiet --json --out "$dir/e.wav" --codes-out "$dir/e.codes.safetensors" > "$dir/e.json"
check 'python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[\"recipe\"]; assert r[\"accept_seconds\"]==5.0 and r[\"first_accept_seconds\"]==1.0 and r[\"accept_pace\"]==0.05, r" "$dir/e.json"' "without it, early acceptance after a first stretch of 1 s, paced, at most 5 s apart"
check '! "$cli" session --minutes 0.5 --preset calm --emotion-check 0 --accept-pace 1.5 --quiet --out "$dir/bad.wav" 2> "$dir/bad.err" && grep -q "accept-pace" "$dir/bad.err" && [ ! -e "$dir/bad.wav" ]' "a pace above its most is refused naming the option"
check '! "$cli" session --minutes 0.5 --preset calm --emotion-check 0 --accept-seconds 0 --accept-pace 0.1 --quiet --out "$dir/bad.wav" 2> "$dir/bad.err" && grep -q "accept-pace" "$dir/bad.err" && [ ! -e "$dir/bad.wav" ]' "a pace without early acceptance is refused naming the option"
check '! "$cli" session --minutes 0.5 --preset calm --emotion-check 0 --accept-seconds 2 --first-accept-seconds 3 --quiet --out "$dir/bad.wav" 2> "$dir/bad.err" && grep -q "first-accept-seconds" "$dir/bad.err" && [ ! -e "$dir/bad.wav" ]' "a first stretch longer than the others is refused naming the option"
"$cli" generate --recipe "$dir/e.recipe.json" --quiet --out "$dir/e2.wav" --codes-out "$dir/e2.codes.safetensors"
check 'python3 - "$dir" <<PY
import sys, json, struct
def codes(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8+n])
    o = h["codes"]["data_offsets"]; return b[8+n+o[0]:8+n+o[1]]
d = sys.argv[1]; sys.exit(0 if codes(d + "/e.codes.safetensors") == codes(d + "/e2.codes.safetensors") else 1)
PY' "an early-accepted session's recipe regenerates the same codes"

# Prompt changes over time go into the recipe (sorted by time).
"$cli" session --minutes 0.5 --preset calm --prompt "calm piano" --window 12 --quiet --json \
    --prompt-at "20:energetic rock" --prompt-at "10:slow jazz" --out "$dir/p.wav" > "$dir/p.json"
check 'python3 -c "import json,sys; c=json.load(open(sys.argv[1]))[\"recipe\"][\"prompt_changes\"]; assert c==[{\"time\":10.0,\"prompt\":\"slow jazz\"},{\"time\":20.0,\"prompt\":\"energetic rock\"}], c" "$dir/p.json"' "session --prompt-at: the changes in the recipe"

# A mood word that contradicts the path is pointed out (the session still runs); none without one.
"$cli" session --minutes 0.2 --preset calm --prompt "Calm piano" --window 12 --out "$dir/n.wav" 2>"$dir/n.err"
check '[ $? -eq 0 ] && grep -q "note: the prompt.s mood word .calm. .* contradicts the path at 0:00" "$dir/n.err"' "a contradicting mood word in the prompt is pointed out"
"$cli" session --minutes 0.2 --preset calm --prompt "piano" --window 12 --out "$dir/n2.wav" 2>"$dir/n2.err"
check '! grep -q "note: the prompt" "$dir/n2.err"' "no note without a mood word"

# Ctrl-C: a long session interrupted keeps the finished windows and marks the recipe.
# The signal is sent once the second window runs (progress on stderr), not after a fixed sleep:
# on a loaded machine a background job that starts slowly ignores a SIGINT sent before its
# handler exists (bash starts background jobs with SIGINT ignored) and then runs all 30 minutes.
"$cli" session --minutes 30 --path "0:3,3 600:7,6" --out "$dir/cut.flac" 2>"$dir/cut.err" &
pid=$!
for _ in $(seq 600); do grep -q "window 2/" "$dir/cut.err" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid; rc=$?
check '[ $rc -eq 130 ]' "interrupted session exits 130 (got $rc)"
check 'python3 -c "import sys; b=open(sys.argv[1],\"rb\").read(42); assert b[:4]==b\"fLaC\"; si=b[8:42]; n=((si[13]&15)<<32)|int.from_bytes(si[14:18],\"big\"); r=(si[10]<<12)|(si[11]<<4)|(si[12]>>4); assert r==32000 and n>0, (n, r)" "$dir/cut.flac"' "the interrupted session's FLAC is closed (STREAMINFO: 32 kHz, its samples counted)"
check '! ls -A "$dir" | grep -q moodsteer-tmp' "no temporary left beside the outputs (the audio was streamed into one)"
check '[ -s "$dir/cut.flac" ] && python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r[\"incomplete\"] is True" "$dir/cut.recipe.json"' "interrupted session keeps a file and an incomplete recipe"

# generate --continue a clip's codes: the output is the clip then the continuation.
"$cli" generate --prompt "jazz" --seconds 4 --seed 1 --quiet --out "$dir/c.wav" --codes-out "$dir/c.codes.safetensors"
"$cli" generate --continue "$dir/c.codes.safetensors" --prompt "jazz" --seconds 6 --seed 1 --json --quiet --out "$dir/more.wav" > "$dir/more.json"
check 'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert 10<=j[\"seconds\"]<10.5, j; assert j[\"recipe\"][\"continue_from\"].endswith(\"c.codes.safetensors\")" "$dir/more.json"' "generate --continue: 4 s prompt + 6 s new"

# Failures: one line, no files.
bad=$(mktemp -d)
expect_failure() {
    local what=$1; shift
    local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
    local lines; lines=$(printf '%s\n' "$err" | grep -c .)
    if [ $rc -eq 0 ] || [ "$lines" -ne 1 ] || [ -n "$(ls -A "$bad")" ]; then
        echo "FAIL ($what): rc $rc, $err, files: $(ls -A "$bad")"; fail=1; rm -rf "${bad:?}"/*
    else echo "ok ($what): $err"; fi
}
expect_failure "no path or preset" "$cli" session --minutes 1 --out "$bad/x.wav"
expect_failure "both path and preset" "$cli" session --minutes 1 --path "0:3,3" --preset calm --out "$bad/x.wav"
expect_failure "bad path" "$cli" session --minutes 1 --path "0:3,3 0:4,4" --out "$bad/x.wav"
expect_failure "valence out of range" "$cli" session --minutes 1 --path "0:0,3" --out "$bad/x.wav"
expect_failure "unknown preset" "$cli" session --minutes 1 --preset sleepy --out "$bad/x.wav"
expect_failure "zero minutes" "$cli" session --minutes 0 --preset calm --out "$bad/x.wav"
expect_failure "stride >= window" "$cli" session --minutes 1 --preset calm --window 20 --stride 20 --out "$bad/x.wav"
expect_failure "prompt change after the end" "$cli" session --minutes 1 --preset calm --prompt-at "61:rock" --out "$bad/x.wav"
expect_failure "prompt change without a time" "$cli" session --minutes 1 --preset calm --prompt-at "rock" --out "$bad/x.wav"
expect_failure "window too long" "$cli" session --minutes 1 --preset calm --window 1000 --out "$bad/x.wav"
expect_failure "continue a missing file" "$cli" generate --continue "$bad/none.safetensors" --out "$bad/x.wav"
expect_failure "continue a recording on a symbolic codec" "$cli" generate --continue "$dir/c.wav" --out "$bad/x.wav"
rm -rf "$bad"
exit $fail
