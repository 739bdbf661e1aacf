#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang + ASan + UBSan) and runs each for a bounded time,
# one after the other on one core. Fails on any finding: a crash, a sanitizer report, a broken
# answer invariant (fuzz/check.hpp), a timeout (> 10 s for one input) or an out-of-memory.
# Usage: scripts/fuzz.sh [seconds-per-harness]   (default 60)
#   FUZZ_BUILD_DIR   build directory (default build/fuzz)
#   FUZZ_HARNESSES   which harnesses (default "estimate config")
# Before fuzzing, the seed corpus (fuzz/corpus/<harness>/) and every saved regression
# (fuzz/regressions/<harness>/) are replayed once; a regression that still fails is reported.
# The growing corpus is kept in $FUZZ_BUILD_DIR/corpus/<harness>/ between runs; findings are
# written to $FUZZ_BUILD_DIR/findings/<harness>/. See docs/robustness.md for triage.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-build/fuzz}
harnesses=${FUZZ_HARNESSES:-estimate config}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [seconds-per-harness]" >&2; exit 2; }

if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: installing clang and libclang-rt-14-dev"
  sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get install -y clang libclang-rt-14-dev >/dev/null || { echo "fuzz: cannot install clang" >&2; exit 1; }
fi

[ -f "$build/CMakeCache.txt" ] || cmake --preset fuzz -B "$build" >/dev/null || exit 1
echo "fuzz: building in $build"
targets=(); for h in $harnesses; do targets+=(--target "fuzz_$h"); done
cmake --build "$build" "${targets[@]}" -j2 2>&1 | grep -E 'error|warning:' ; test "${PIPESTATUS[0]}" -eq 0 || exit 1

# A dictionary of every string literal in the core (keys, enum values, ids): the fuzzer then
# tries "zero_stage" or "gguf-q4_k_m" instead of having to guess them byte by byte.
dict="$build/llmsizer.dict"
{ grep -ohE '"[a-z0-9_.+/-]{2,40}"' core/src/*.cpp core/include/llmsizer/*.hpp
  printf '%s\n' '"{"' '"}"' '"["' '"]"' '":"' '","' '"null"' '"true"' '"false"' '"1e308"' '"-0"' '"\\u0000"' \
    '"\"task\":\"train\""' '"\"task\":\"infer\""' '"\"model\":{"' '"\"gpu\":{"'
  ls model-data/*.json gpu-data/*.json 2>/dev/null | sed -E 's#.*/##; s#\.json$##; s#--#/#' | sed 's/.*/"&"/'
} | sort -u >"$dict"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One line naming a finding: the sanitizer's SUMMARY (file:line), the broken invariant, or
# libFuzzer's verdict (timeout, out-of-memory). Findings with the same line are one bug.
reason() {
  local out; out=$("$1" -runs=1 "$2" 2>&1) && { echo "no longer reproduces"; return; }
  grep -m1 -oE 'invariant broken: [^(]*\(key "[^"]*"\)' <<<"$out" ||
    grep -m1 -oE 'SUMMARY: [A-Za-z]+Sanitizer: [a-z-]+ [^ ]+' <<<"$out" | sed -E 's#/[^ ]*/(core|fuzz)/#\1/#' ||
    grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+' <<<"$out" || echo "exit status != 0 (see a run of the input)"
}

status=0; total=0
for h in $harnesses; do
  bin="$build/fuzz/fuzz_$h"
  corpus="$build/corpus/$h"; findings="$build/findings/$h"
  mkdir -p "$corpus" "$findings"
  # 1. The seeds must all pass; each saved regression is replayed and reported while it fails.
  if ! "$bin" -runs=1 fuzz/corpus/"$h"/* >"$build/replay-$h.log" 2>&1; then
    echo "fuzz: $h: a seed input fails (log: $build/replay-$h.log)"; status=1
  fi
  for f in fuzz/regressions/"$h"/*; do
    [ -f "$f" ] || continue
    r=$(reason "$bin" "$f")
    if [ "$r" = "no longer reproduces" ]; then echo "fuzz: $h: regression $(basename "$f"): passes"
    else echo "fuzz: $h: regression $(basename "$f"): STILL FAILS: $r"; status=1; fi
  done
  # 2. Fuzz for a bounded time. Fork mode with -ignore_*: a finding is saved and fuzzing goes on,
  #    so one run reports every distinct bug it meets, not only the first.
  log="$build/fuzz-$h.log"
  before=$(ls "$findings" | wc -l)
  "$bin" "$corpus" "fuzz/corpus/$h" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -dict="$dict" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_funcs=0 \
    -artifact_prefix="$findings/" >"$log" 2>&1
  rc=$?
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n1)
  execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last"); execs=${execs:-0}; total=$((total + execs))
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' <<<"$last")
  echo "fuzz: $h: $execs executions in ${seconds}s ($cov), libFuzzer exit $rc"
  new=$(( $(ls "$findings" | wc -l) - before ))
  if [ $rc -ne 0 ] || [ $new -gt 0 ]; then
    status=1
    echo "fuzz: $h: $new new finding(s) in $findings/; distinct:"
    for f in $(ls -t "$findings" | head -n "$new"); do echo "$(reason "$bin" "$findings/$f")	$f"; done |
      sort -t$'\t' -k1,1 -u | sed 's/^/  /'
    echo "  minimise one: $bin -minimize_crash=1 -max_total_time=60 -exact_artifact_path=fuzz/regressions/$h/<name> <file>"
  fi
done
echo "fuzz: $total executions in total; $([ $status -eq 0 ] && echo 'no findings' || echo 'FINDINGS — see above')"
exit $status
