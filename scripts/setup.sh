#!/usr/bin/env bash
# One-command set-up for a fresh Debian 12 machine.
#   scripts/setup.sh studio   install, build, launch the studio on the embedded model
#   scripts/setup.sh test     install, build, run every test (what .ci/run calls)
#   scripts/setup.sh build    install and build only
set -euo pipefail
mode=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

packages=(
    build-essential cmake ninja-build ccache pkg-config git
    libtorch-dev libgloo-dev libopenblas0-pthread
    qt6-base-dev libqcustomplot-dev libqcustomplot2.1-qt6
    portaudio19-dev libjack-jackd2-dev libsndfile1-dev libsentencepiece-dev sentencepiece
    libkissfft-dev libsamplerate0-dev libebur128-dev nlohmann-json3-dev libgtest-dev
    xvfb xauth x11-apps jackd2 clang-format
    libcurl4-openssl-dev libssl-dev python3
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian's LibTorch uses whatever libblas.so.3 points to; the reference BLAS is ~25x slower.
blas_link=/usr/lib/x86_64-linux-gnu/libblas.so.3
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if [ -e "$openblas" ] && [ "$(readlink -f $blas_link)" != "$(readlink -f $openblas)" ]; then
    $sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu "$openblas"
fi

build=${MOODSTEER_BUILD_DIR:-$root/build}
# Paths relative to the checkout, so clones and worktrees share ccache hits.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
# The tests include the formatting check: a change that is not clang-formatted fails at once.
if [ "$mode" = test ]; then scripts/check-format.sh; fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"

case "$mode" in
    build) ;;
    test)
        cd "$build"
        ctest --output-on-failure -j"$(nproc)" --timeout 1200
        # The decode kernels' portable fallback (as on ARM): models and their tests, parity
        # included, in a second build dir that reuses the compiler cache of this one.
        "$root/scripts/test-portable.sh"
        ;;
    studio)
        exec "$build/app/studio/moodsteer-studio"
        ;;
    *)
        echo "usage: $0 studio|test|build" >&2
        exit 2
        ;;
esac
