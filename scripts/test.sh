#!/usr/bin/env bash
# Installs what is missing, builds native (release + ASan/UBSan debug) and wasm, and runs every
# suite: doctest natively under sanitizers, the same doctest suites compiled to wasm under node,
# node's test runner for the JS API, playwright-core + Debian's chromium for the site, and each
# libFuzzer harness for FUZZ_SECONDS (default 30) under ASan + UBSan.
# The last line reads "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
quick_bench=0; [ "${1:-}" = "--with-bench" ] && quick_bench=1

scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/build.sh --debug || { echo "0 passed, 1 failed"; exit 1; }
# The wasm doctest binary: a failed build must fail the run, never leave an old binary to test.
if ! cmake --build --preset wasm-release --target llmsizer_tests -j"$(nproc)" >build/wasm-tests-build.log 2>&1; then
  grep -E 'error' build/wasm-tests-build.log | head -20
  echo "build: the wasm test suite did not build"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; status=0
log=$(mktemp -d)

count_doctest() {  # "[doctest] test cases: 12 | 12 passed | 0 failed | 0 skipped"
  local line; line=$(sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E '^\[doctest\] test cases:' | tail -n1)
  local p f; p=$(sed -E 's/.*\| *([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.*\| *([0-9]+) failed.*/\1/' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
}
count_node() {  # node --test summary: "# pass N" / "# fail N" / "# cancelled N" (a cancelled test did not pass)
  local p f c; p=$(grep -E '^# pass ' "$1" | tail -n1 | awk '{print $3}'); f=$(grep -E '^# fail ' "$1" | tail -n1 | awk '{print $3}')
  c=$(grep -E '^# cancelled ' "$1" | tail -n1 | awk '{print $3}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1} + ${c:-0}))
}
count_fuzz() {  # "fuzz: estimate: N executions in Ss (...), libFuzzer exit 0" per harness; one test each
  local ok; ok=$(grep -cE '^fuzz: [a-z]+: [0-9]+ executions in .*libFuzzer exit 0$' "$1")
  local bad; bad=$(grep -cE '^fuzz: [a-z]+: (.*STILL FAILS|a seed input fails|[0-9]+ new finding)' "$1")
  if grep -qE '^fuzz: .* no findings$' "$1" && [ "$ok" -gt 0 ]; then passed=$((passed + ok)); else failed=$((failed + (bad > 0 ? bad : 1))); fi
}
run() {  # run NAME COUNTER CMD...
  local name=$1 counter=$2; shift 2
  echo "== $name"
  "$@" >"$log/$name.out" 2>&1; local rc=$?
  tail -n 25 "$log/$name.out" | cut -c1-400
  $counter "$log/$name.out"
  [ $rc -eq 0 ] || status=1
}

run doctest-native-asan count_doctest ./build/native-debug/tests/llmsizer_tests --no-colors
run doctest-wasm count_doctest node build/wasm-release/tests/llmsizer_tests.cjs --no-colors
run node-api count_node node --test tests/js/
run site count_node node --test --test-concurrency=1 tests/site/
# Each libFuzzer harness for a bounded time (clang, ASan + UBSan): the seeds and saved
# regressions are replayed first; any finding fails the run (longer runs: scripts/fuzz.sh N).
run fuzz count_fuzz bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
if [ $quick_bench -eq 1 ]; then run bench-quick true bash bench/run.sh --quick; fi

rm -rf "$log"
echo "$passed passed, $failed failed"
[ $status -eq 0 ] && [ $failed -eq 0 ]
