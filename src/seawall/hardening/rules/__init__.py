"""Built-in hardening rules, one module per target family; importing registers them."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

# module -> the target kinds its rules check; None: every other kind (the cloud services,
# keyed by catalog service). tests/hardening/test_harden_startup.py checks this table
# against what the modules register.
RULE_MODULES: dict[str, frozenset[str] | None] = {
    "seawall.hardening.rules.pss": frozenset({"k8s.pod"}),
    "seawall.hardening.rules.workload": frozenset({"k8s.pod", "k8s.object"}),
    "seawall.hardening.rules.rbac": frozenset({"k8s.rbac-role", "k8s.rbac-binding"}),
    "seawall.hardening.rules.dockerfile": frozenset({"dockerfile"}),
    "seawall.hardening.rules.cloud": None,
}
_NAMED_KINDS = frozenset(k for kinds in RULE_MODULES.values() if kinds for k in kinds)

_loaded: set[str] = set()


def load_all() -> None:
    """Import every rule module once (each registers its rules with the engine)."""
    _load(RULE_MODULES)


def load_for(kinds: Iterable[str]) -> None:
    """Import the rule modules that check any of these target kinds (start-up: a run on
    Kubernetes YAML does not import the cloud rules)."""
    wanted = set(kinds)
    _load(
        name
        for name, served in RULE_MODULES.items()
        if (served is None and not wanted <= _NAMED_KINDS) or (served and served & wanted)
    )


def _load(names: Iterable[str]) -> None:
    for name in names:  # in RULE_MODULES order, so rules register in one order
        if name not in _loaded:
            importlib.import_module(name)
            _loaded.add(name)
