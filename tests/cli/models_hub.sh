#!/usr/bin/env bash
# moodsteer-cli models + generate --model REPO_ID against a tiny hub on loopback
# (tests/hub/hub_server.py serving the parity model), and the recipe's provenance: precision,
# repo id + commit, absolute folder + content hash, refusal to "regenerate exactly" another model.
set -uo pipefail
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
parity=${MOODSTEER_SHARED:?}/parity
src=${MOODSTEER_SOURCE:?}
[ -f "$parity/model.safetensors" ] || { echo "SKIP: $parity absent"; exit 0; }
dir=$(mktemp -d); server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT
fail=0
repo=test-org/tiny-musicgen
mkdir -p "$dir/served/$repo" "$dir/out"
cp "$parity/config.json" "$parity/generation_config.json" "$parity/model.safetensors" "$dir/served/$repo/"
python3 "$src/tests/hub/hub_server.py" "$dir/served" "$dir/control.json" "$dir/requests.log" > "$dir/port" &
server=$!
for _ in $(seq 50); do grep -q PORT "$dir/port" && break; sleep 0.1; done
export HF_ENDPOINT="http://127.0.0.1:$(awk '{print $2}' "$dir/port")"
export HF_HUB_CACHE="$dir/cache" XDG_CONFIG_HOME="$dir/config"
unset HF_TOKEN HF_HUB_OFFLINE

check() { if eval "$2"; then echo "ok ($1)"; else echo "FAIL ($1)"; fail=1; fi; }
# Fails with exactly one line on stderr that contains $2, and leaves no file in $dir/out.
expect_failure() {
    local what=$1 needle=$2; shift 2
    local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
    local lines; lines=$(printf '%s\n' "$err" | grep -c .)
    if [ $rc -eq 0 ] || [ "$lines" -ne 1 ] || [[ "$err" != *"$needle"* ]]; then
        echo "FAIL ($what): rc=$rc: $err"; fail=1
    else echo "ok ($what): $err"; fi
    if [ -n "$(ls -A "$dir/out")" ]; then echo "FAIL ($what): left $(ls "$dir/out")"; fail=1; rm -f "$dir/out"/*; fi
}

gen=(generate --prompt-ids 5,9,1 --steps 10 --seed 4 --quiet)
expect_failure "not downloaded" "run: moodsteer-cli models pull $repo" "$cli" "${gen[@]}" --model $repo --out "$dir/out/a.wav"
expect_failure "path before pull" "run: moodsteer-cli models pull $repo" "$cli" models path $repo
HF_HUB_OFFLINE=1 expect_failure "offline pull" "HF_HUB_OFFLINE=1" "$cli" models pull $repo
check "offline never connected" '[ ! -s "$dir/requests.log" ]'
echo '{"status": 401}' > "$dir/control.json"
expect_failure "401" "HF_TOKEN" "$cli" models pull $repo
echo '{}' > "$dir/control.json"; sleep 0.05
expect_failure "404" "404" "$cli" models pull test-org/missing
expect_failure "melody unsupported" "not supported" "$cli" models pull facebook/musicgen-melody
expect_failure "bad id" "not a repo id" "$cli" models pull "a/b/c"

"$cli" models pull $repo --json > "$dir/pull.json" || { echo "FAIL (pull)"; fail=1; }
commit=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["revision"])' "$dir/pull.json")
check "pinned commit" '[[ "$commit" =~ ^[0-9a-f]{40}$ ]]'
check "refs/main" '[ "$(cat "$dir/cache/models--test-org--tiny-musicgen/refs/main")" = "$commit" ]'
check "path" '[ "$("$cli" models path $repo)" = "$dir/cache/models--test-org--tiny-musicgen/snapshots/$commit" ]'
check "verify" '"$cli" models verify $repo 2>/dev/null'
check "list shows it installed" '"$cli" models list --json | python3 -c "import json,sys; m=[x for x in json.load(sys.stdin)[\"models\"] if x[\"id\"]==\"$repo\"]; sys.exit(0 if m and m[0][\"installed\"] and m[0][\"revision\"]==\"$commit\" else 1)"'
check "list names the catalogue" '"$cli" models list | grep -q "facebook/musicgen-melody.*unsupported"'

# generate --model REPO_ID: the recipe records the repo id, the commit and the precision.
"$cli" "${gen[@]}" --model $repo --precision bf16 --out "$dir/a.wav" || { echo "FAIL (generate --model repo)"; fail=1; }
check "recipe model" 'grep -q "\"model\": \"$repo\"" "$dir/a.recipe.json"'
check "recipe revision" 'grep -q "\"model_revision\": \"$commit\"" "$dir/a.recipe.json"'
check "recipe precision" 'grep -q "\"precision\": \"bf16\"" "$dir/a.recipe.json"'
HF_HUB_OFFLINE=1 "$cli" generate --recipe "$dir/a.recipe.json" --quiet --out "$dir/b.wav" || { echo "FAIL (regenerate)"; fail=1; }
check "exact regeneration (bf16 from the recipe, offline)" 'cmp -s "$dir/a.wav" "$dir/b.wav"'
sed "s/$commit/$(printf 'a%.0s' $(seq 40))/" "$dir/a.recipe.json" > "$dir/other.recipe.json"
expect_failure "recipe of another revision" "models pull $repo@aaaa" "$cli" generate --recipe "$dir/other.recipe.json" --out "$dir/out/c.wav"

# A local folder: the recipe stores its absolute path and a content hash.
mkdir -p "$dir/local"; cp "$parity/config.json" "$parity/model.safetensors" "$dir/local/"
(cd "$dir" && "$cli" "${gen[@]}" --model local --precision int8 --out "$dir/l.wav") || { echo "FAIL (local)"; fail=1; }
check "absolute folder in the recipe" 'grep -q "\"model\": \"$dir/local\"" "$dir/l.recipe.json"'
check "content hash in the recipe" 'grep -q "\"model_hash\": \"sha256:" "$dir/l.recipe.json"'
"$cli" generate --recipe "$dir/l.recipe.json" --quiet --out "$dir/l2.wav" && check "local regeneration" 'cmp -s "$dir/l.wav" "$dir/l2.wav"'
cp "$parity/generation_config.json" "$dir/local/"   # the folder's content changes
expect_failure "changed folder refused" "not an exact regeneration" "$cli" generate --recipe "$dir/l.recipe.json" --out "$dir/out/l3.wav"

# --midi-out: the embedded model's tokens are notes; MusicGen's are not.
"$cli" generate --prompt "calm piano" --seconds 2 --seed 1 --quiet --out "$dir/e.wav" --midi-out "$dir/e.mid" || { echo "FAIL (midi)"; fail=1; }
check "midi file" '[ "$(head -c 4 "$dir/e.mid")" = "MThd" ]'
check "recipe of the embedded model" 'grep -q "\"model\": \"embedded\"" "$dir/e.recipe.json" && grep -q "\"precision\": \"f32\"" "$dir/e.recipe.json"'
expect_failure "midi of encodec" "--midi-out" "$cli" "${gen[@]}" --model $repo --out "$dir/out/m.wav" --midi-out "$dir/out/m.mid"

# Added folders are forgotten, never deleted; rm removes a cached repo.
"$cli" models add "$dir/local" 2>/dev/null
check "added folder listed" '"$cli" models list | grep -q "^$dir/local"'
"$cli" models rm "$dir/local" 2>/dev/null
check "folder kept after rm" '[ -f "$dir/local/model.safetensors" ]'
"$cli" models rm $repo 2>/dev/null
check "repo removed" '[ ! -d "$dir/cache/models--test-org--tiny-musicgen" ]'
expect_failure "rm twice" "not in the hub cache" "$cli" models rm $repo
exit $fail
