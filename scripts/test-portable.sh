#!/usr/bin/env bash
# Builds the decode kernels' portable fallback alone (cmake -DMOODSTEER_PORTABLE_KERNELS=ON:
# no x86 kernel is compiled, as on ARM) in a second build dir and runs the model tests on it:
# the kernel and dispatcher tests, the GEMV and fused-decode tests and the parity tests
# against the transformers fixtures in ../shared/parity.
#   scripts/test-portable.sh          models library + model tests only (what CI runs)
#   scripts/test-portable.sh --all    every target and the whole test suite
# Environment: MOODSTEER_PORTABLE_BUILD_DIR (default build-portable/), JOBS (default nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MOODSTEER_PORTABLE_BUILD_DIR:-$root/build-portable}
jobs=${JOBS:-$(nproc)}
all=0
case "${1:-}" in
    "") ;;
    --all) all=1 ;;
    *)
        echo "usage: $0 [--all]" >&2
        exit 2
        ;;
esac

# Paths relative to the checkout, so this build hits the compiler cache the main build filled
# (only the kernel selection and its test compile differently).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
studio=OFF
if [ "$all" = 1 ]; then studio=ON; fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DMOODSTEER_PORTABLE_KERNELS=ON -DMOODSTEER_BUILD_STUDIO=$studio >/dev/null
cd "$build"
if [ "$all" = 1 ]; then
    cmake --build . -j"$jobs"
    ctest --output-on-failure -j"$jobs" --timeout 1200
else
    cmake --build . -j"$jobs" --target models_tests
    # Every model test (kernels, GEMVs, fused decode step, parity, loaders) but the timing
    # prints, which assert nothing.
    ./tests/models_tests --gtest_filter='-*Timing*'
fi
# The test prints which kernels ran: it must be the portable ones.
# (Captured first: grep -q would stop reading early and, under pipefail, fail the pipeline.)
active=$("$build/tests/models_tests" --gtest_filter='Kernels.DispatcherHonoursTheBuildAndTheCpu')
grep -q 'active kernels: gemv f32 portable, bf16 portable, int8 portable, int4 portable; gemm int8 portable; attention portable (int8 cache portable), layer norm portable' <<<"$active" ||
    {
        echo "test-portable: the portable build did not run the portable kernels" >&2
        exit 1
    }
echo "test-portable: passed with the portable kernels"
