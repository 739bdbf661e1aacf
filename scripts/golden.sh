#!/usr/bin/env bash
# Regenerates tests/golden/*.response.json from the requests with the native CLI, for review
# (git diff shows what a change did to the answers). Usage: scripts/golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cli=build/native-release/cli/llm-sizer
[ -x "$cli" ] || scripts/build.sh
: > tests/golden/index.txt
for req in tests/golden/*.request.json; do
  name=$(basename "$req" .request.json)
  "$cli" estimate "$req" > "tests/golden/$name.response.json" || true
  echo "$name" >> tests/golden/index.txt
done
echo "golden: $(wc -l < tests/golden/index.txt) pairs regenerated"
