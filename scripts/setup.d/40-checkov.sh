#!/usr/bin/env bash
# Checkov 3.x (the hardening peer-comparison test and benchmark) in its own virtualenv:
# its pinned dependencies conflict with seawall's. Idempotent.
set -euo pipefail
VENV="${HOME}/.cache/seawall-test/checkov-venv"
if [ -x "$VENV/bin/checkov" ] && "$VENV/bin/checkov" --version 2>/dev/null | grep -q '^3\.'; then
  exit 0
fi
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check 'checkov>=3,<4'
"$VENV/bin/checkov" --version
