"""The CISA Known Exploited Vulnerabilities catalog (known_exploited_vulnerabilities.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.vulns.db import DbWriter, ImportResult

_KEPT = (
    "vendorProject",
    "product",
    "vulnerabilityName",
    "dateAdded",
    "dueDate",
    "knownRansomwareCampaignUse",
)


def looks_like_kev(document: object) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("vulnerabilities"), list)
        and ("catalogVersion" in document or "title" in document)
    )


def import_kev(document: Any, path: Path, writer: DbWriter, result: ImportResult) -> None:
    """Replace the KEV catalog with this file's entries."""
    if not looks_like_kev(document):
        raise InputError(f"{path}: not a CISA KEV catalog")
    result.files.append(str(path))
    entries = []
    for entry in document["vulnerabilities"]:
        if isinstance(entry, dict) and isinstance(entry.get("cveID"), str):
            # scalars only: a YAML-aliased structure would expand when stored
            kept = {k: entry[k] for k in _KEPT if isinstance(entry.get(k), str | int | float)}
            entries.append((entry["cveID"], kept))
        else:
            result.skip("malformed KEV entries")
    result.kev = writer.put_kev(entries)
