"""Alpine secdb (https://secdb.alpinelinux.org/v3.xx/main.json, also its YAML form).

Each file covers one release ("distroversion": "v3.19" -> ecosystem "Alpine:v3.19"):
packages with `secfixes` {fixed version: [ids]}. Every id becomes an advisory (source
"alpine-secdb") with a row [introduced 0, fixed X] per package; a fixed version "0"
means the release was never affected. Extra text in an id line ("CVE-2017-2616
(+ regression fix)", "CVE-2024-22195 GHSA-h5c8-rqwp-cp95") is reduced to ids; the
rest become aliases. Importing another release's file replaces only that release's rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.vulns.advisory import Advisory, AffectedPackage, AffectedRange, VersionEvent
from seawall.vulns.db import DbWriter, ImportResult

_ID = re.compile(r"\b(?:CVE-\d{4}-\d+|GHSA(?:-[0-9a-z]{4}){3}|ALPINE-\d+|XSA-\d+)\b", re.I)


def looks_like_secdb(document: object) -> bool:
    """The secdb file layout, or one package of it (vuln-list's per-package files)."""
    if not isinstance(document, dict):
        return False
    if isinstance(document.get("packages"), list):
        return True
    return isinstance(document.get("secfixes"), dict) and isinstance(document.get("name"), str)


def secdb_ecosystem(document: dict[str, Any]) -> str:
    version = document.get("distroversion")
    if isinstance(version, str) and version:
        return f"Alpine:{version if version.startswith('v') else 'v' + version}"
    urls = [document.get(key) for key in ("urlprefix", "apkurl")]
    if any(isinstance(url, str) and "wolfi" in url for url in urls):
        return "Wolfi"
    return "Alpine"


def import_alpine(document: Any, path: Path, writer: DbWriter, result: ImportResult) -> None:
    """Import a decoded secdb document."""
    if not looks_like_secdb(document):
        raise InputError(f"{path}: not an Alpine secdb file")
    result.files.append(str(path))
    ecosystem = secdb_ecosystem(document)
    by_id: dict[str, tuple[set[str], list[AffectedPackage]]] = {}
    packages = document.get("packages")
    if not isinstance(packages, list):
        packages = [{"pkg": {"name": document["name"], "secfixes": document["secfixes"]}}]
    for entry in packages:
        pkg = entry.get("pkg") if isinstance(entry, dict) else None
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            result.skip("malformed secdb entries")
            continue
        secfixes = pkg.get("secfixes") or {}
        if not isinstance(secfixes, dict):
            result.skip("malformed secdb entries")
            continue
        for fixed, lines in secfixes.items():
            fixed_version = str(fixed)
            if isinstance(lines, str):
                lines = [lines]
            elif not isinstance(lines, list):
                result.skip("malformed secdb entries")
                continue
            for line in lines:
                # only text: str() of a YAML-aliased list can be exponentially long
                if not isinstance(line, str | int):
                    result.skip("secfix lines without an id")
                    continue
                ids = [m.upper() for m in _ID.findall(str(line))]
                if not ids:
                    result.skip("secfix lines without an id")
                    continue
                aliases, rows = by_id.setdefault(ids[0], (set(), []))
                aliases.update(ids[1:])
                not_affected = fixed_version == "0"
                events = (
                    ()
                    if not_affected
                    else (
                        VersionEvent("introduced", "0"),
                        VersionEvent("fixed", fixed_version),
                    )
                )
                rows.append(
                    AffectedPackage(
                        advisory_id=ids[0],
                        ecosystem=ecosystem,
                        name=pkg["name"],
                        ranges=(AffectedRange("ECOSYSTEM", events),) if events else (),
                        status="not-affected" if not_affected else "affected",
                    )
                )
    for ident, (aliases, rows) in by_id.items():
        advisory = Advisory(id=ident, source="alpine-secdb", aliases=tuple(sorted(aliases)))
        result.affected += writer.put("alpine-secdb", advisory, rows, replace_ecosystems=True)
        result.advisories += 1
