"""Java archives: `.jar/.war/.ear` (and Jenkins `.hpi/.jpi`), including nested archives.

Per archive: every `META-INF/maven/GROUP/ARTIFACT/pom.properties` is a package (so a
shaded `log4j-core` inside an application jar is found); without one, `MANIFEST.MF`
(Implementation-*/Bundle-* headers); without that, the file name (`name-1.2.3.jar`).
Archives inside archives (Spring Boot `BOOT-INF/lib/`, `WEB-INF/lib/`, `lib/` of an ear)
are read from memory, to a bounded depth, with bounded sizes and compression ratios.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass

from packageurl import PackageURL

from seawall.model import Package
from seawall.packages.catalogers.base import Cataloger, CatalogResult, FileEntry, MiB, register

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".hpi", ".jpi")
MAX_DEPTH = 4  # the outer archive is depth 0
MAX_RATIO = 100  # uncompressed / compressed, per member (zip bombs)
MAX_MEMBER = 64 * MiB  # one nested archive or metadata file, uncompressed
MAX_TOTAL = 512 * MiB  # everything read out of one outer archive
MAX_MEMBERS = 200_000
# zipfile reports damaged archives through many exception types.
_READ_ERRORS = (
    zipfile.BadZipFile,
    IndexError,
    KeyError,
    struct.error,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    zlib.error,
)
_FILENAME = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+?)-(?P<version>\d[\w.\-+]*)$")
# _FILENAME backtracks quadratically on "a-1-1-...-1!"; real jar names are far shorter
MAX_FILENAME = 255


def maven_purl(group: str, artifact: str, version: str) -> str:
    return PackageURL(
        type="maven", namespace=group or None, name=artifact, version=version
    ).to_string()


def parse_properties(text: str) -> dict[str, str]:
    """Java .properties (the subset pom.properties uses: key=value / key: value lines)."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0:
            continue
        out[line[:cut].strip()] = line[cut + 1 :].strip()
    return out


def parse_manifest(text: str) -> dict[str, str]:
    """The main section of a MANIFEST.MF (continuation lines start with one space)."""
    parts: dict[str, list[str]] = {}  # joined once: `+=` per continuation is quadratic
    key = ""
    for line in text.splitlines():
        if not line:
            break  # end of the main section
        if line.startswith(" ") and key:
            parts[key].append(line[1:])
            continue
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip()
            parts[key] = [value.strip()]
    return {k: "".join(v) for k, v in parts.items()}


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_TOTAL


@dataclass(slots=True)
class _Found:
    group: str
    artifact: str
    version: str
    source: str  # pom.properties | manifest | filename
    location: str


@register
class JavaCataloger(Cataloger):
    name = "java"
    version = 1
    max_size = 512 * MiB

    def wants(self, path: str, mode: int, size: int) -> bool:
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG) or size > self.max_size or size < 22:
            return False
        return path.lower().endswith(ARCHIVE_SUFFIXES)

    def catalog(self, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        found: list[_Found] = []
        self._archive(entry.data, entry.path, 0, _Budget(), found, result.warnings)
        seen: set[tuple[str, str, str, str]] = set()
        for item in found:
            key = (item.group, item.artifact, item.version, item.location)
            if key in seen:
                continue
            seen.add(key)
            name = f"{item.group}:{item.artifact}" if item.group else item.artifact
            result.packages.append(
                Package(
                    name=name,
                    version=item.version,
                    type="maven",
                    purl=maven_purl(item.group, item.artifact, item.version),
                    ecosystem="Maven",
                    path=entry.path,
                    cataloger=self.key,
                    metadata={"location": item.location, "source": item.source},
                )
            )
        return result

    def _read(
        self,
        zf: zipfile.ZipFile,
        info: zipfile.ZipInfo,
        location: str,
        budget: _Budget,
        warnings: list[str],
    ) -> bytes | None:
        """A member's bytes, or None (with a warning) when it breaks a bound."""
        where = f"{location}!/{info.filename}"
        if info.file_size > MAX_MEMBER or info.file_size > budget.left:
            warnings.append(f"{where}: {info.file_size} bytes uncompressed: too large, skipped")
            return None
        if info.file_size > 1 * MiB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            warnings.append(f"{where}: compression ratio above {MAX_RATIO}: skipped (zip bomb?)")
            return None
        try:
            with zf.open(info) as fh:
                data = fh.read(min(MAX_MEMBER, budget.left) + 1)
        except _READ_ERRORS as exc:
            warnings.append(f"{where}: unreadable ({str(exc)[:80]}): skipped")
            return None
        if len(data) > min(MAX_MEMBER, budget.left) or len(data) != info.file_size:
            warnings.append(f"{where}: size does not match its header: skipped")
            return None
        budget.left -= len(data)
        return data

    def _archive(
        self,
        data: bytes,
        location: str,
        depth: int,
        budget: _Budget,
        found: list[_Found],
        warnings: list[str],
    ) -> None:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except _READ_ERRORS as exc:
            warnings.append(f"{location}: not a readable zip archive ({str(exc)[:80]}): skipped")
            return
        if len(infos) > MAX_MEMBERS:
            warnings.append(f"{location}: more than {MAX_MEMBERS} members: skipped")
            return
        own: list[_Found] = []
        manifest: dict[str, str] | None = None
        nested: list[zipfile.ZipInfo] = []
        for info in infos:
            fname = info.filename
            if not fname or fname.endswith("/"):  # directories (is_dir() fails on "")
                continue
            if fname.startswith("META-INF/maven/") and fname.endswith("/pom.properties"):
                raw = self._read(zf, info, location, budget, warnings)
                if raw is None:
                    continue
                props = parse_properties(raw.decode("utf-8", errors="replace"))
                group = props.get("groupId", "")
                artifact = props.get("artifactId", "")
                version = props.get("version", "")
                if not artifact or not version:
                    warnings.append(f"{location}!/{fname}: no artifactId/version: skipped")
                    continue
                own.append(_Found(group, artifact, version, "pom.properties", location))
            elif fname == "META-INF/MANIFEST.MF":
                raw = self._read(zf, info, location, budget, warnings)
                if raw is not None:
                    manifest = parse_manifest(raw.decode("utf-8", errors="replace"))
            elif fname.lower().endswith(ARCHIVE_SUFFIXES):
                nested.append(info)
        if not own:
            item = self._from_manifest(manifest, location) or self._from_filename(location)
            if item is not None:
                own.append(item)
            elif depth == 0:
                warnings.append(
                    f"{location}: no Maven coordinates, manifest version or "
                    "versioned file name: not identified"
                )
        found.extend(own)
        for info in nested:
            inner = f"{location}!/{info.filename}"
            if depth + 1 > MAX_DEPTH:
                warnings.append(f"{inner}: archives nested deeper than {MAX_DEPTH}: skipped")
                continue
            raw = self._read(zf, info, location, budget, warnings)
            if raw is not None:
                self._archive(raw, inner, depth + 1, budget, found, warnings)

    @staticmethod
    def _from_manifest(manifest: dict[str, str] | None, location: str) -> _Found | None:
        if not manifest:
            return None
        version = manifest.get("Implementation-Version") or manifest.get("Bundle-Version", "")
        artifact = (
            manifest.get("Implementation-Title")
            or manifest.get("Bundle-SymbolicName", "").split(";", 1)[0]
            or manifest.get("Bundle-Name", "")
        )
        if not version or not artifact:
            return None
        group = manifest.get("Implementation-Vendor-Id", "")
        fname = JavaCataloger._from_filename(location)
        if fname is not None and fname.version == version:
            artifact = fname.artifact  # the file name is closer to the artifactId
        artifact = artifact.strip().replace(" ", "-")
        return _Found(group.strip(), artifact, version.strip(), "manifest", location)

    @staticmethod
    def _from_filename(location: str) -> _Found | None:
        base = location.rsplit("/", 1)[-1]
        stem = base.rsplit(".", 1)[0]
        if len(stem) > MAX_FILENAME:
            return None
        match = _FILENAME.match(stem)
        if match is None:
            return None
        return _Found("", match["name"], match["version"], "filename", location)
