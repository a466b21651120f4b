"""Package catalogers. Each module registers one Cataloger subclass with `register`.

Adding a cataloger is adding a module here and its name to CATALOGER_MODULES.
"""

from __future__ import annotations

import importlib

from seawall.packages.catalogers.base import Cataloger, registered

CATALOGER_MODULES = (
    "seawall.packages.catalogers.osrelease",
    "seawall.packages.catalogers.dpkg",
    "seawall.packages.catalogers.apk",
    "seawall.packages.catalogers.rpm",
    "seawall.packages.catalogers.python",
    "seawall.packages.catalogers.npm",
    "seawall.packages.catalogers.java",
    "seawall.packages.catalogers.golang",
)


def all_catalogers() -> list[Cataloger]:
    """One instance of every registered cataloger, in CATALOGER_MODULES order."""
    for name in CATALOGER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return [cls() for cls in registered()]
