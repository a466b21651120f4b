"""Built-in hardening rules, one module per target family; importing registers them."""

from __future__ import annotations

import importlib

RULE_MODULES = (
    "seawall.hardening.rules.pss",
    "seawall.hardening.rules.workload",
    "seawall.hardening.rules.rbac",
    "seawall.hardening.rules.dockerfile",
    "seawall.hardening.rules.cloud",
)

_loaded = False


def load_all() -> None:
    """Import every rule module once (each registers its rules with the engine)."""
    global _loaded
    if _loaded:
        return
    for name in RULE_MODULES:
        importlib.import_module(name)
    _loaded = True
