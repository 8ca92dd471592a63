#!/usr/bin/env bash
# Installs the Debian tools the tests drive: chromium (cst-server's browser test) and prometheus
# (promtool, for deploy/check.sh and cst-server's deploy test). No-op when both are present.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
