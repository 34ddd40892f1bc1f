#!/usr/bin/env bash
# Fuzzes every reader with libFuzzer + ASan + UBSan, in a separate build-fuzz/ (clang-14):
#   ./scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s each, all targets)
# Seeds come from tests/fuzz/make_seeds.sh plus tests/fuzz/regressions/<target>/; a crash,
# leak, timeout or out-of-memory is written to tests/fuzz/regressions/<target>/ (commit it
# with the fix) and makes the script exit non-zero. Needs: apt-get install clang-14 libclang-rt-14-dev
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors safetensors_index torch_zip pickle megatron config_json layer_pattern torch_dist)
CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTRATA_FUZZ=ON -DSTRATA_STUDIO=OFF -DSTRATA_TESTS=OFF -DSTRATA_BENCH=OFF -DSTRATA_CUDA=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzzers strata
if [ ! -d build-fuzz/seeds ]; then tests/fuzz/make_seeds.sh build-fuzz/app/cli/strata build-fuzz/seeds; fi
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "tests/fuzz/regressions/$t"
  echo "== fuzz_$t for ${seconds}s"
  # -rss_limit_mb and -timeout make unbounded memory and hangs findings, as the issue demands.
  if ! "build-fuzz/tests/fuzz/fuzz_$t" "build-fuzz/corpus/$t" "build-fuzz/seeds/$t" "tests/fuzz/regressions/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
      -artifact_prefix="tests/fuzz/regressions/$t/" -print_final_stats=1 2>"build-fuzz/fuzz_$t.log"; then
    echo "fuzz_$t FOUND A PROBLEM: see build-fuzz/fuzz_$t.log and tests/fuzz/regressions/$t/"
    status=1
  fi
  grep -E "stat::number_of_executed_units|cov: " "build-fuzz/fuzz_$t.log" | tail -2 || true
done
exit $status
