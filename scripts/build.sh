#!/usr/bin/env bash
# Builds the native CLI and the wasm module, and assembles the deployable site in dist/.
# Usage: scripts/build.sh [--debug]   (--debug adds the native-debug ASan+UBSan build)
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Debian's emscripten looks for acorn here (TOOLCHAIN.md trap 1)
jobs=$(nproc 2>/dev/null || echo 2)

presets=(native-release wasm-release)
[ "${1:-}" = "--debug" ] && presets+=(native-debug)
for p in "${presets[@]}"; do
  [ -f "build/$p/CMakeCache.txt" ] || cmake --preset "$p" >/dev/null
  echo "build: $p"
  # The build's own status decides (set -e/pipefail would otherwise take grep's, or `|| true`'s).
  set +e
  cmake --build --preset "$p" -j"$jobs" 2>&1 | grep -Ev '^\[|^-- |Consolidate compiler|Built target|Scanning'
  status=${PIPESTATUS[0]}
  set -e
  [ "$status" -eq 0 ] || { echo "build: $p FAILED (cmake --build exit $status)" >&2; exit 1; }
done

# dist/: the page, the JS API and the wasm module, with relative paths only.
rm -rf dist && mkdir -p dist
cp -r site/. dist/
cp build/wasm-release/wasm/llm-sizer-core.mjs build/wasm-release/wasm/llm-sizer-core.wasm dist/
cp wasm/llm-sizer.js wasm/llm-sizer.d.ts dist/
node scripts/stamp-sw.mjs dist
echo "build: dist/ ready ($(du -sh dist | cut -f1))"
