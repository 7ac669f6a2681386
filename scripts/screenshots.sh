#!/usr/bin/env bash
# Screenshots of MoodSteer Studio under Xvfb, for docs/screenshots/ and the README.
#   scripts/screenshots.sh [BUILD_DIR] [MODEL_FOLDER]
# Runs the real studio twice (1280x800 and 1920x1080) with a fresh settings/data folder,
# generates one clip, lets the studio grab its panels and dialogs (QWidget::grab) and
# captures the X window with ImageMagick's `import`. PNGs are quantised to stay small.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
model="${2:-}"
studio="$build/app/studio/moodsteer-studio"
out="$root/docs/screenshots"
[[ -x "$studio" ]] || { echo "no studio binary at $studio (build with -DMOODSTEER_BUILD_STUDIO=ON)" >&2; exit 1; }
for tool in Xvfb xwininfo import convert; do
    command -v "$tool" >/dev/null || { echo "missing $tool (xvfb, x11-utils, imagemagick)" >&2; exit 1; }
done
mkdir -p "$out"
work="$(mktemp -d)"
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1920x1080x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb=$!
jack=""
cleanup() {
    [[ -n "${app:-}" ]] && kill "$app" 2>/dev/null || true
    [[ -n "$jack" ]] && kill "$jack" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# A real-time paced audio device without a sound card: JACK's dummy backend.
if command -v jackd >/dev/null; then
    export JACK_DEFAULT_SERVER="msshots$$" JACK_NO_AUDIO_RESERVATION=1
    jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 256 >"$work/jack.log" 2>&1 &
    jack=$!
fi
sleep 1
export DISPLAY="$display" QT_QPA_PLATFORM=xcb
# A clean user: fresh QSettings, clip library and export folder for every run.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
mkdir -p "$HOME/Music"
model_args=()
[[ -n "$model" ]] && model_args=(--model "$model")
# Without a tokenizer (e.g. the tiny parity model) the prompt is given as token ids.
prompt="${SCREENSHOT_PROMPT:-gentle piano with warm strings}"

for size in 1280x800 1920x1080; do
    log="$work/studio-$size.log"
    "$studio" "${model_args[@]}" --size "$size" --generate "$prompt" \
        --screenshots "$work/shots" --screenshot-tag "$size" >"$log" 2>&1 &
    app=$!
    for _ in $(seq 1 600); do
        grep -q SCREENSHOTS-READY "$log" 2>/dev/null && break
        kill -0 "$app" 2>/dev/null || break
        sleep 0.5
    done
    if ! grep -q SCREENSHOTS-READY "$log"; then
        echo "studio did not get ready ($size):" >&2
        tail -20 "$log" >&2
        exit 1
    fi
    # The viewable top-level named like the window (Qt also makes hidden helper windows).
    id=""
    for cand in $(xwininfo -root -tree | awk '/"MoodSteer Studio"/ {print $1}'); do
        if xwininfo -id "$cand" | grep -q "IsViewable"; then id="$cand"; break; fi
    done
    if [[ -n "$id" ]]; then
        import -window "$id" "$work/shots/x11-main-$size.png" || echo "import failed for $id" >&2
    else
        echo "window not found by name; keeping the in-process grab only" >&2
    fi
    wait "$app" || true
    app=""
done

for f in "$work"/shots/*.png; do
    name="$(basename "$f")"
    # The X11 capture is the canonical main-window picture when it exists.
    case "$name" in
        main-*) [[ -f "$work/shots/x11-$name" ]] && continue ;;
        x11-*) name="${name#x11-}" ;;
    esac
    convert "$f" -strip -colors 256 PNG8:"$out/$name"
done
ls -la "$out"
