#!/usr/bin/env bash
# Sanitized runs (docs/reliability.md):
#   scripts/sanitize.sh asan   a separate ASan+UBSan build (build-asan/, gcc, -O1) of the whole
#                              project, the tokenizer loaded through dlmopen (sanitizers refuse
#                              RTLD_DEEPBIND); runs the unit, widget and CLI tests (incl. the
#                              bad-input catalogues) except the slow ones listed below.
#   scripts/sanitize.sh tsan   ThreadSanitizer on the audio ring buffer, the player's feeder/
#                              callback threads and device faults, and on the decode step's
#                              helper (models/src/DecodeHelper) (build-tsan/; no LibTorch:
#                              its uninstrumented OpenMP threads only give false reports).
#   scripts/sanitize.sh        both.
# Exit code != 0 if any test fails or a sanitizer reports. Slow: a cold asan build takes
# ~45 min on 2 cores and its tests ~21 min; it is not part of CI (.ci/run) for that reason.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-all}
jobs=${MOODSTEER_SANITIZE_JOBS:-$(nproc)}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}

# Skipped under ASan (each takes minutes even unsanitized, 5-20x under ASan); they share
# their code paths with faster tests that do run.
slow='EngineParity|EnginePrecision|MusicgenPrecision|DecodeBenchmark|EmotionBenchmark|SteeringBenchmark|Trainer|EmotionMert|MertTest|cli.generate_parity|cli.probe_steer_parity|widgets.StudioEndToEnd|widgets.StudioLongRun'

run_asan() {
    local build=$root/build-asan
    local flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS="$flags" \
        -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
        -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
        -DMOODSTEER_SPM_DLMOPEN=ON >/dev/null
    cmake --build "$build" -j"$jobs"
    # LibTorch, Qt and oneDNN are not instrumented: leaks inside them are not ours, and
    # oneDNN's JIT code is not visible to ASan. Every report in our code stops the test.
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    echo "sanitize.sh asan: skipping (slow): $slow" >&2
    (cd "$build" && ctest --output-on-failure -j"$jobs" --timeout 1800 -E "$slow")
}

run_tsan() {
    local build=$root/build-tsan
    mkdir -p "$build"
    local src=(tests/core/RingBufferTest.cpp tests/core/PlaybackTest.cpp
               tests/core/PlaybackDeviceFaultTest.cpp core/src/playback/AudioPlayer.cpp
               core/src/playback/PortAudioSink.cpp core/src/playback/JackSink.cpp
               tests/common/TestPaths.cpp)
    (cd "$root" && g++ -std=c++20 -O1 -g -fsanitize=thread -Icore/include -Itests/common \
        -DMOODSTEER_SHARED_DIR="\"$root/../shared\"" \
        -DMOODSTEER_RESOURCE_DIR="\"$root/resources\"" -DMOODSTEER_BINARY_DIR="\"$build\"" \
        "${src[@]}" -o "$build/playback_tsan" \
        $(pkg-config --cflags --libs portaudio-2.0 jack) -lgtest -lgtest_main -pthread)
    # Thread leaks are not reported: after the JACK-server-killed test, libjack's client thread
    # of the deliberately abandoned stream is never joined (AudioSink::close() explains why).
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:report_thread_leaks=0
    "$build/playback_tsan"
    # The decode helper's thread is never joined (the helper is immortal): no leak report.
    (cd "$root" && g++ -std=c++20 -O1 -g -fsanitize=thread -Imodels/src -Imodels/include \
        tests/models/DecodeHelperTest.cpp models/src/DecodeHelper.cpp \
        -o "$build/decode_helper_tsan" -lgtest -lgtest_main -pthread)
    "$build/decode_helper_tsan"
}

case "$mode" in
    asan) run_asan ;;
    tsan) run_tsan ;;
    all) run_tsan; run_asan ;;
    *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;;
esac
