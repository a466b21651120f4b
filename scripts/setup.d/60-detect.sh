#!/usr/bin/env bash
# detect stage: everything its tests need is a Python dependency of seawall itself
# (lark, msgspec, PyYAML, jsonschema for the OCSF record check). Verify, install if missing.
set -euo pipefail
python3 - <<'PY' || python3 -m pip install -q --disable-pip-version-check "lark>=1.1" "msgspec>=0.18" "PyYAML>=6" "jsonschema>=4.21"
import importlib
for name in ("lark", "msgspec", "yaml", "jsonschema"):
    importlib.import_module(name)
PY
