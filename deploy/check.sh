#!/usr/bin/env bash
# Validates the monitoring files: Prometheus rules (syntax and unit tests) with promtool when it is
# installed (Debian package `prometheus`), and the Grafana dashboard as JSON.
set -euo pipefail
cd "$(dirname "$0")"
python3 -c 'import json,sys; json.load(open("grafana/cst.json"))' && echo "grafana/cst.json: valid JSON"
if command -v promtool >/dev/null 2>&1; then
  promtool check rules prometheus/alerts.yml
  promtool test rules prometheus/alerts_test.yml
else
  echo "promtool not installed (apt-get install prometheus): rules not checked" >&2
  [ "${CI:-}" = "true" ] && exit 1
fi
exit 0
