"""Shared helpers for the cataloger tests (stage-prefixed module name, see STYLE.md)."""

from __future__ import annotations

import os
from pathlib import Path

from seawall.packages.catalogers.base import Cataloger, CatalogResult, FileEntry

CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", Path.home() / ".cache" / "seawall-test"))
CATALOGERS_CACHE = CACHE / "catalogers"


def entry(path: str, data: bytes, mode: int = 0o100644) -> FileEntry:
    return FileEntry(path=path, size=len(data), mode=mode, data=data)


def run(cataloger: Cataloger, path: str, data: bytes, mode: int = 0o100644) -> CatalogResult:
    """Offer one file the way the layer walker does: wants() first, then catalog()."""
    assert cataloger.wants(path, mode, len(data)), f"{cataloger.key} does not want {path}"
    return cataloger.catalog(entry(path, data, mode))


def cached(sub: str, pattern: str) -> Path:
    """A real artefact fetched by scripts/setup.d/30-catalogers.sh."""
    found = sorted((CATALOGERS_CACHE / sub).glob(pattern))
    assert found, f"missing {sub}/{pattern} in {CATALOGERS_CACHE}: run scripts/setup"
    return found[0]
