"""Python packages: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and `*.egg-info` files.

The metadata is an RFC 822 style header block (core metadata spec); only the header block
is read, the description body after the first blank line is ignored.
"""

from __future__ import annotations

import re
import stat

from packageurl import PackageURL

from seawall.model import Package
from seawall.packages.catalogers.base import Cataloger, CatalogResult, FileEntry, MiB, register

_NORMALISE = re.compile(r"[-_.]+")
_LICENSE_CLASSIFIER = "License :: "


def normalise_name(name: str) -> str:
    """PEP 503 normalised project name ("Zope.Interface" -> "zope-interface")."""
    return _NORMALISE.sub("-", name).lower()


def parse_headers(text: str) -> dict[str, list[str]]:
    """The header block of a core-metadata file: name (lower case) -> values in order."""
    # each value as its lines, joined once at the end: `+=` per continuation line is
    # quadratic (an 8 MiB header of continuation lines took minutes)
    headers: dict[str, list[list[str]]] = {}
    last: list[list[str]] | None = None
    for line in text.splitlines():
        if not line.strip():
            break
        if line[0] in " \t":
            if last:
                last[-1].append(line.strip())
            continue
        key, sep, value = line.partition(":")
        if not sep:
            last = None
            continue
        last = headers.setdefault(key.strip().lower(), [])
        last.append([value.strip()])
    return {key: ["\n".join(lines) for lines in values] for key, values in headers.items()}


def _licenses(headers: dict[str, list[str]]) -> tuple[str, ...]:
    expression = headers.get("license-expression")
    if expression and expression[0]:
        return (expression[0],)
    text = (headers.get("license") or [""])[0].strip()
    # Some projects paste the whole licence text: keep only a short, one-line name.
    if text and "\n" not in text and len(text) <= 100 and text.upper() != "UNKNOWN":
        return (text,)
    found: list[str] = []
    for classifier in headers.get("classifier", []):
        if classifier.startswith(_LICENSE_CLASSIFIER):
            last = classifier.rsplit("::", 1)[-1].strip()
            if last and last != "OSI Approved" and last not in found:
                found.append(last)
    return tuple(found)


@register
class PythonCataloger(Cataloger):
    name = "python"
    version = 1
    max_size = 8 * MiB

    def wants(self, path: str, mode: int, size: int) -> bool:
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG) or size > self.max_size:
            return False
        if path.endswith(".dist-info/METADATA") or path.endswith(".egg-info/PKG-INFO"):
            return True
        return path.endswith(".egg-info")

    def catalog(self, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        # Only the header block matters: skip decoding a long description body.
        block = entry.data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        headers = parse_headers(block.decode("utf-8", errors="replace"))
        name = (headers.get("name") or [""])[0].strip()
        version = (headers.get("version") or [""])[0].strip()
        if not name or not version:
            missing = "Name" if not name else "Version"
            result.warnings.append(f"{entry.path}: python metadata without {missing}: skipped")
            return result
        purl = PackageURL(type="pypi", name=normalise_name(name), version=version).to_string()
        metadata: dict[str, str] = {}
        summary = (headers.get("summary") or [""])[0]
        if summary:
            metadata["summary"] = summary
        result.packages.append(
            Package(
                name=name,
                version=version,
                type="pypi",
                purl=purl,
                ecosystem="PyPI",
                licenses=_licenses(headers),
                path=entry.path,
                cataloger=self.key,
                metadata=metadata,
            )
        )
        return result
