#!/usr/bin/env bash
# Renders the example clips in docs/examples/ with moodsteer-cli corpus and draws their
# spectrograms with sox (apt-get install -y sox libsox-fmt-all).
# usage: scripts/render-examples.sh [path/to/moodsteer-cli]
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${1:-build/app/moodsteer-cli}
OUT=docs/examples
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
command -v sox >/dev/null || { echo "sox not found: apt-get install -y sox libsox-fmt-all" >&2; exit 1; }
mkdir -p "$OUT"

# name genre valence arousal seed
while read -r name genre v a seed; do
    "$CLI" corpus --out "$TMP/$name" --count 1 --seconds 8 --seed "$seed" --genres "$genre" \
        --valence "$v" --arousal "$a" >/dev/null
    wav="$TMP/$name/piece_00000.wav"
    sox "$wav" -C 1 "$OUT/$name.ogg"                        # Vorbis quality 1 (~80 kbit/s)
    sox "$wav" -n spectrogram -x 480 -y 129 -z 80 -t "$name (v=$v a=$a)" -o "$OUT/$name.png"
    prompt=$(tail -n 1 "$TMP/$name/labels.csv" | sed 's/.*,"\(.*\)"$/\1/')
    stats=$(sox "$wav" -n stats 2>&1 | awk '/RMS lev dB/{r=$4} /Pk lev dB/{p=$4} /DC offset/{d=$3} END{printf "RMS %s dBFS, peak %s dBFS, DC %s", r, p, d}')
    echo "$name|$genre|$v|$a|$prompt|$stats"
done <<'LIST' | tee "$OUT/examples.txt"
classical_tender classical 7.0 3.0 11
classical_sad classical 2.0 2.5 12
electronic_euphoric electronic 8.0 8.0 13
jazz_relaxed jazz 6.5 4.0 14
rock_angry rock 2.5 8.5 15
rock_happy rock 7.5 7.0 16
LIST
du -ch "$OUT" | tail -n 1
