#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (-fsanitize=fuzzer,address,undefined)
# and runs each for SECONDS (default 60) from a copy of its seed corpus. Findings land in
# build-fuzz/artifacts/<target>/; copy a fixed one to tests/fuzz/crashes/<target>/ so the
# normal test suite replays it (ctest -R fuzz_replay). Prints executions and findings per
# target; exits 1 if any target found something.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 30 recipe csv
set -euo pipefail
seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MOODSTEER_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(safetensors recipe csv audio steering_vector model_config spm_model hub_response
             safetensors_index)
fi
cxx=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$cxx" ]; then
    echo "fuzz.sh: needs clang++ (apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 2
fi
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_COMPILER="$cxx" -DMOODSTEER_FUZZ=ON -DMOODSTEER_BUILD_TESTS=OFF \
        -DMOODSTEER_BUILD_STUDIO=OFF >/dev/null
fi
jobs=${MOODSTEER_FUZZ_JOBS:-1}
cmake --build "$build" -j"$jobs" --target $(printf 'fuzz_%s ' "${targets[@]}")

summary=()
found=0
for t in "${targets[@]}"; do
    corpus="$build/corpus/$t"
    artifacts="$build/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    cp -n "$root/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
    dict=()
    [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
    log="$build/fuzz_$t.log"
    echo "fuzz.sh: $t for ${seconds}s (log: $log)" >&2
    # Leaks are checked (libFuzzer's default): a reader must not leak on any input.
    set +e
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$artifacts/" "${dict[@]}" \
        "$corpus" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    units=$(ls "$corpus" | wc -l)
    ub=$(grep -c 'runtime error:' "$log" || true)
    arts=$(ls "$artifacts" | wc -l)
    if [ "$rc" -ne 0 ] || [ "$arts" -gt 0 ] || [ "$ub" -gt 0 ]; then found=1; fi
    summary+=("$(printf '%-16s %12s execs  cov %6s  corpus %5s  findings %s (rc %s, UBSan %s)' \
        "$t" "$execs" "$cov" "$units" "$arts" "$rc" "$ub")")
done
printf '%s\n' "${summary[@]}"
exit $found
