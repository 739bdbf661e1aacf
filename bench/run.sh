#!/usr/bin/env bash
# The performance harness: builds what it needs, measures, and prints markdown tables (paste them
# into docs/performance.md). Timings never fail the run: budgets are reported, not enforced.
# Usage: bench/run.sh [--quick]        (--quick: fewer repetitions, under a minute once built)
#   BENCH_BUILD_DIR   where the native benchmark is built and results are kept (default build/bench)
#   BENCH_DIST        the deployable site to measure (default dist/, built by scripts/build.sh
#                     when it has no wasm module yet)
# Measures: (1) natively, with Google Benchmark (libbenchmark-dev): one training and one inference
# estimate, a pasted config, the recommendation sweep, the catalog listings, and how one call's
# cost grows with depth, batch, GPU count and catalog size; the first call in a fresh process;
# (2) the JS API under node on the wasm module; (3) the page cold in headless Chromium (first
# result, bytes); (4) wasm/JS sizes raw and gzip -9.
set -uo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
quick=0; [ "${1:-}" = "--quick" ] && quick=1
build=${BENCH_BUILD_DIR:-build/bench}
dist=${BENCH_DIST:-dist}
out="$build/results"
rm -rf "$out"; mkdir -p "$out"
note() { echo "bench: $*" >&2; }
skip() { printf '{"unavailable":"%s"}\n' "$2" >"$out/$1.json"; note "$1 skipped: $2"; }

# --- build ------------------------------------------------------------------------------------
if [ ! -f /usr/include/benchmark/benchmark.h ]; then
  note "installing libbenchmark-dev"
  sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get install -y libbenchmark-dev >/dev/null 2>&1 || note "cannot install libbenchmark-dev"
fi
native_ok=0
if [ -f /usr/include/benchmark/benchmark.h ]; then
  [ -f "$build/native/CMakeCache.txt" ] || cmake --preset native-release -B "$build/native" -DLLMSIZER_TESTS=OFF >/dev/null
  if cmake --build "$build/native" --target llmsizer_core -j2 >"$build/build-native.log" 2>&1 &&
     ${CXX:-g++} -O2 -std=c++20 -Icore/include bench/bench_native.cpp "$build/native/libllmsizer_core.a" \
       -lbenchmark -lpthread -o "$build/bench_native" >>"$build/build-native.log" 2>&1; then
    native_ok=1
  else
    note "native build failed (log: $build/build-native.log)"
  fi
fi
if [ -z "${BENCH_DIST:-}" ] && [ ! -f "$dist/llm-sizer-core.wasm" ]; then
  note "no $dist/llm-sizer-core.wasm: running scripts/build.sh"
  scripts/build.sh >"$build/build-dist.log" 2>&1 || note "scripts/build.sh failed (log: $build/build-dist.log)"
fi

# --- measure ----------------------------------------------------------------------------------
if [ $native_ok -eq 1 ]; then
  if [ $quick -eq 1 ]; then reps=3; min_time=0.02; cold_runs=5; else reps=15; min_time=0.1; cold_runs=15; fi
  note "native: Google Benchmark, $reps repetitions"
  # One process per group, each with a time limit: a crash or a runaway call in one group (the
  # core is work in progress) loses that group only.
  group=0
  for filter in '^(estimate|listing)/' '^sweep/' '^scale/(depth|batch|num_gpus)/' '^scale/(max_num_gpus|catalog)/'; do
    group=$((group + 1))
    timeout $([ $quick -eq 1 ] && echo 60 || echo 900) "$build/bench_native" bench/requests.json --benchmark_filter="$filter" \
      --benchmark_repetitions=$reps --benchmark_min_time=$min_time \
      --benchmark_report_aggregates_only=true --benchmark_enable_random_interleaving=true \
      --benchmark_out="$out/native-$group.json" --benchmark_out_format=json >"$build/native-$group.log" 2>&1 ||
      note "native group $filter failed or timed out (see $build/native-$group.log)"
  done
  for key in estimate_infer sweep_infer; do
    for _ in $(seq $cold_runs); do timeout 30 "$build/bench_native" bench/requests.json --first-call $key; done >"$out/first-call-$key.jsonl"
  done
else
  skip native "native benchmark not built"
fi

if [ -f "$dist/llm-sizer.js" ] && [ -f "$dist/llm-sizer-core.wasm" ]; then
  note "node: JS API on $dist"
  node bench/bench_node.mjs "$dist" bench/requests.json $([ $quick -eq 1 ] && echo --quick) >"$out/node.json" 2>"$build/node.log" ||
    skip node "bench_node.mjs failed (see $build/node.log)"
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] && [ -d node_modules/playwright-core ]; then
    note "page: headless Chromium, fresh profile per run"
    node bench/bench_page.mjs "$dist" $([ $quick -eq 1 ] && echo --quick) >"$out/page.json" 2>"$build/page.log" ||
      skip page "bench_page.mjs failed (see $build/page.log)"
  else
    skip page "no chromium or playwright-core (npm ci)"
  fi
  {
    echo '{'
    first=1
    for f in "$dist"/llm-sizer-core.wasm "$dist"/llm-sizer-core.mjs "$dist"/llm-sizer.js; do
      [ $first -eq 1 ] || echo ','; first=0
      printf '"%s":{"raw":%d,"gzip9":%d}' "$(basename "$f")" "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)"
    done
    echo '}'
  } >"$out/sizes.json"
else
  skip node "no $dist/llm-sizer.js (scripts/build.sh)"; skip page "no $dist"; skip sizes "no $dist"
fi

# --- report -----------------------------------------------------------------------------------
{
  echo "{\"date\":\"$(date -u +%Y-%m-%dT%H:%MZ)\",\"nproc\":$(nproc),"
  echo "\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/"/\\"/g')\","
  echo "\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"kernel\":\"$(uname -r)\","
  echo "\"cxx\":\"$(${CXX:-g++} --version | head -n1)\",\"node\":\"$(node --version)\","
  echo "\"emcc\":\"$(NODE_PATH=/usr/share/nodejs emcc --version 2>/dev/null | head -n1 | sed 's/"/\\"/g')\","
  echo "\"chromium\":\"$("${CHROMIUM_PATH:-/usr/bin/chromium}" --version 2>/dev/null | head -n1)\","
  echo "\"commit\":\"$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- core 2>/dev/null || echo '+uncommitted core changes')\","
  echo "\"quick\":$([ $quick -eq 1 ] && echo true || echo false)}"
} >"$out/machine.json"
node bench/report.mjs "$out"
exit 0
