#!/bin/sh
# vulns-db: the advisory database needs only seawall's own dependencies (cvss, msgspec,
# platformdirs, PyYAML). benchmarks/versions.py compares against univers when present.
set -eu
python3 -c "import univers" 2>/dev/null || python3 -m pip install --quiet univers || true
