"""Debian packages: /var/lib/dpkg/status and distroless /var/lib/dpkg/status.d/* files."""

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

STATUS = "/var/lib/dpkg/status"
STATUS_D = "/var/lib/dpkg/status.d/"


def _paragraphs(text: str) -> list[tuple[int, dict[str, str]]]:
    """(first line number, fields) per paragraph; continuation lines are dropped."""
    out: list[tuple[int, dict[str, str]]] = []
    fields: dict[str, str] = {}
    start = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if fields:
                out.append((start, fields))
                fields = {}
            continue
        if line[0] in " \t":
            continue
        key, sep, value = line.partition(":")
        if not sep:
            fields.setdefault("\0bad", line)
            continue
        if not fields:
            start = lineno
        fields[key] = value.strip()
    if fields:
        out.append((start, fields))
    return out


_MAX_EPOCH = 2**31 - 1  # dpkg refuses larger ones ("epoch in version is too big")


def _epoch(version: str) -> int | None:
    """The epoch of a version, None without one; ValueError when dpkg would refuse it."""
    head, sep, _ = version.partition(":")
    if sep and head.isascii() and head.isdigit():
        # length first: int() of thousands of digits is itself an error (and slow)
        if len(head) > 10 or int(head) > _MAX_EPOCH:
            raise ValueError("epoch too large")
        return int(head)
    return None


def parse_dpkg_status(
    text: str, path: str, *, require_installed: bool, cataloger: str = ""
) -> CatalogResult:
    """Installed packages of one dpkg status-format file."""
    result = CatalogResult()
    for lineno, fields in _paragraphs(text):
        name = fields.get("Package", "")
        version = fields.get("Version", "")
        status = fields.get("Status")
        if require_installed or status is not None:
            words = (status or "").split()
            if len(words) != 3:
                if status is None:
                    result.warnings.append(f"{path}:{lineno}: record {name or '?'} has no Status")
                else:
                    result.warnings.append(
                        f"{path}:{lineno}: record {name or '?'} has a malformed Status {status!r}"
                    )
                continue
            if words[2] not in (
                "installed",
                "half-configured",
                "unpacked",
                "triggers-pending",
                "triggers-awaited",
            ):
                continue  # not-installed / config-files: nothing on disk to be vulnerable
        if not name or not version or "\0bad" in fields:
            problem = "no Package" if not name else "no Version" if not version else "bad line"
            result.warnings.append(f"{path}:{lineno}: malformed record {name or '?'} ({problem})")
            continue
        try:
            epoch = _epoch(version)
        except ValueError as exc:
            # before: the ValueError failed the whole file, every other package lost with it
            result.warnings.append(f"{path}:{lineno}: malformed record {name} ({exc})")
            continue
        arch = fields.get("Architecture") or None
        source_name = name
        source_version = version
        source = fields.get("Source")
        if source:
            sname, _, rest = source.partition(" ")
            source_name = sname.strip()
            rest = rest.strip()
            if rest.startswith("(") and rest.endswith(")"):
                source_version = rest[1:-1].strip()
        qualifiers = {"arch": arch} if arch else {}
        purl = PackageURL(
            type="deb", namespace="debian", name=name, version=version, qualifiers=qualifiers
        ).to_string()
        result.packages.append(
            Package(
                name=name,
                version=version,
                type="deb",
                purl=purl,
                source_name=source_name,
                source_version=source_version,
                arch=arch,
                epoch=epoch,
                path=path,
                cataloger=cataloger,
            )
        )
    return result


@register
class DpkgCataloger(Cataloger):
    name = "dpkg"
    version = 1
    max_size = 64 * MiB

    def wants(self, path: str, mode: int, size: int) -> bool:
        if path == STATUS:
            return True
        if path.startswith(STATUS_D):
            base = path[len(STATUS_D) :]
            return "/" not in base and not base.endswith(".md5sums") and not base.startswith(".")
        return False

    def catalog(self, entry: FileEntry) -> CatalogResult:
        text = entry.data.decode("utf-8", "replace")
        return parse_dpkg_status(
            text, entry.path, require_installed=entry.path == STATUS, cataloger=self.key
        )
