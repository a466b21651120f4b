"""Alpine packages: the apk installed database, /lib/apk/db/installed."""

from __future__ import annotations

from packageurl import PackageURL

from seawall.model import Package
from seawall.packages.catalogers.base import (
    Cataloger,
    CatalogResult,
    FileEntry,
    MiB,
    register,
)

INSTALLED = ("/lib/apk/db/installed", "/usr/lib/apk/db/installed")


def parse_apk_installed(text: str, path: str, cataloger: str = "") -> CatalogResult:
    """One Package per record (P: name, V: version, A: arch, o: origin, L: license)."""
    result = CatalogResult()
    records: list[tuple[int, dict[str, str]]] = []
    fields: dict[str, str] = {}
    start = 1
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if fields:
                records.append((start, fields))
                fields = {}
            continue
        if not fields:
            start = lineno
        if len(line) >= 2 and line[1] == ":":
            # Repeated keys (F:, R: file lists) keep the first; only scalars are used.
            fields.setdefault(line[0], line[2:])
        else:
            fields.setdefault("\0bad", line)
    if fields:
        records.append((start, fields))
    for lineno, rec in records:
        name = rec.get("P", "")
        version = rec.get("V", "")
        if not name or not version:
            result.warnings.append(
                f"{path}:{lineno}: malformed record {name or '?'} "
                f"({'no V: version' if name else 'no P: name'})"
            )
            continue
        arch = rec.get("A") or None
        origin = rec.get("o") or name
        qualifiers = {"arch": arch} if arch else {}
        if origin != name:
            qualifiers["upstream"] = origin
        purl = PackageURL(
            type="apk",
            namespace="alpine",
            name=name.lower(),
            version=version,
            qualifiers=qualifiers,
        ).to_string()
        licenses = tuple(rec["L"].split()) if rec.get("L") else ()
        result.packages.append(
            Package(
                name=name,
                version=version,
                type="apk",
                purl=purl,
                source_name=origin,
                source_version=version,
                arch=arch,
                licenses=licenses,
                path=path,
                cataloger=cataloger,
            )
        )
    return result


@register
class ApkCataloger(Cataloger):
    name = "apk"
    version = 1
    max_size = 64 * MiB

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path in INSTALLED

    def catalog(self, entry: FileEntry) -> CatalogResult:
        return parse_apk_installed(
            entry.data.decode("utf-8", "replace"), entry.path, cataloger=self.key
        )
