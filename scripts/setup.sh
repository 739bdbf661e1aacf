#!/usr/bin/env bash
# Installs what llm-sizer needs on Debian 12, only what is missing; idempotent, non-interactive.
# System packages come from Debian (apt-get), JS packages from the committed package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in cmake g++ make emscripten nlohmann-json3-dev doctest-dev chromium nodejs npm gzip; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
# A node already on PATH (>= 18) serves as well as Debian's.
if command -v node >/dev/null && command -v npm >/dev/null; then
  need=("${need[@]/nodejs}"); need=("${need[@]/npm}")
fi
need=($(printf '%s\n' "${need[@]}" | grep -v '^$' || true))
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
