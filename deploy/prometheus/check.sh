#!/usr/bin/env bash
# Validates the Prometheus files with promtool: config syntax, rule syntax, and the rule unit
# tests in alerts.test.yml (each alert fires on the series it is meant for, and stays quiet
# on near-misses). About a second. promtool comes with Debian's `prometheus` package.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v promtool >/dev/null; then
  echo "promtool not found: apt-get install --no-install-recommends prometheus" >&2
  exit 1
fi
promtool check config prometheus.yml
promtool check rules alerts.yml
promtool test rules alerts.test.yml
