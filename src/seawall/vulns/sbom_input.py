"""Reading SBOMs someone else made (CycloneDX JSON, SPDX 2.3 JSON) into Packages.

Only package URLs matter for matching: the purl type gives the ecosystem, the `distro`
qualifier (or the SBOM's operating-system component) the distribution release, and the
`upstream` qualifier a Debian/Alpine source package.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from packageurl import PackageURL

from seawall.errors import InputError
from seawall.model import Package

MAX_SBOM_BYTES = 256 * 1024 * 1024
MAX_COMPONENTS = 1_000_000
MAX_FIELD = 4096  # longest property / sourceInfo text taken over into a package
# scheme://user:password@ (or a token@) inside free text such as the described image's name
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@")
# `seawall sbom --format spdx` writes "...; source package sope 5.8.0-1+deb12u1"
_SPDX_SOURCE = re.compile(r"(?:^|; )source package ([A-Za-z0-9][A-Za-z0-9.+_~:-]*)(?: ([^\s;]+))?")

_LANGUAGE_ECOSYSTEMS = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "swift": "SwiftURL",
}
_DISTROS = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "alpine": "Alpine",
    "wolfi": "Wolfi",
    "chainguard": "Chainguard",
    "rhel": "Red Hat",
    "redhat": "Red Hat",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
}


@dataclass(slots=True)
class SbomContents:
    """Packages read from an SBOM, with what it says it describes."""

    name: str
    format: str  # cyclonedx | spdx
    packages: list[Package] = field(default_factory=list)
    os: str | None = None  # "debian-12" style, when the SBOM names the OS
    skipped: int = 0  # components without a usable purl


def distro_ecosystem(distro: str) -> str | None:
    """'debian-12.5' -> 'Debian:12', 'alpine-3.19.1' -> 'Alpine:v3.19', 'ubuntu-22.04' ->
    'Ubuntu:22.04', 'rocky-9.3' -> 'Rocky Linux:9'; None for an unknown distribution."""
    name, _, version = distro.strip().lower().partition("-")
    base = _DISTROS.get(name)
    if base is None:
        return None
    if not version:
        return base
    parts = version.split(".")
    if base == "Debian" or base in {"Rocky Linux", "AlmaLinux"}:
        return f"{base}:{parts[0]}"
    if base == "Alpine":
        return f"Alpine:v{'.'.join(parts[:2])}"
    if base == "Ubuntu":
        return f"Ubuntu:{'.'.join(parts[:2])}"
    if base in {"Wolfi", "Chainguard", "Red Hat"}:
        return base
    return f"{base}:{version}"


def redact_userinfo(text: str) -> str:
    """`text` with the user:password@ part of every URL in it removed."""
    return _USERINFO.sub(r"\1", text) if "@" in text else text


def _purl_without_credentials(purl: PackageURL, text: str) -> str:
    """The purl text, rebuilt without credentials when a qualifier URL carries any
    (download_url=https://user:token@host/...): purls are copied into every report."""
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    clean = {key: redact_userinfo(value) for key, value in qualifiers.items()}
    if clean == qualifiers:
        return text
    return str(purl._replace(qualifiers=clean).to_string())


def package_from_purl(text: str, *, default_distro: str | None = None) -> Package | None:
    """A Package for a purl, or None when the purl has no version or is not a package."""
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    if not purl.version:
        return None
    qualifiers: dict[str, str] = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    ptype = purl.type
    name = purl.name
    version = purl.version
    ecosystem = ""
    source_name: str | None = None
    source_version: str | None = None
    epoch: int | None = None
    if ptype in {"deb", "apk", "rpm"}:
        distro = qualifiers.get("distro") or default_distro
        if not distro and purl.namespace:
            distro = purl.namespace
        ecosystem = (distro_ecosystem(distro) if distro else None) or ""
        upstream = qualifiers.get("upstream")
        if upstream:
            source_name, _, up_version = upstream.partition("@")
            source_version = up_version or None
            if ptype == "rpm" and source_name.endswith(".src.rpm"):
                source_name = None  # rpm source file names carry no clean package name
        epoch_text = qualifiers.get("epoch", "")
        # rpm epochs are 32-bit: thousands of digits are no epoch (and int() refuses them)
        if epoch_text.isascii() and epoch_text.isdigit() and len(epoch_text) <= 10:
            epoch = int(epoch_text)
    elif ptype in _LANGUAGE_ECOSYSTEMS:
        ecosystem = _LANGUAGE_ECOSYSTEMS[ptype]
        if ptype == "maven" and purl.namespace:
            name = f"{purl.namespace}:{purl.name}"
        elif ptype in {"npm", "golang", "composer"} and purl.namespace:
            name = f"{purl.namespace}/{purl.name}"
        if ptype == "golang":
            version = version.removeprefix("v")  # Go advisories use versions without "v"
    else:
        return None
    return Package(
        name=name,
        version=version,
        type=ptype,
        purl=_purl_without_credentials(purl, text),
        ecosystem=ecosystem,
        source_name=source_name,
        source_version=source_version,
        arch=qualifiers.get("arch"),
        epoch=epoch,
        cataloger="sbom",
    )


def _read_json(path: Path) -> Any:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    if size > MAX_SBOM_BYTES:
        raise InputError(f"{path}: {size} bytes is larger than the {MAX_SBOM_BYTES} limit")
    try:
        return msgspec.json.decode(path.read_bytes())
    except msgspec.DecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None


def _with_details(
    pkg: Package,
    *,
    source_name: Any = None,
    source_version: Any = None,
    layer: Any = None,
    path: Any = None,
) -> Package:
    """`pkg` completed with what the SBOM says beyond the purl (our own SBOMs carry the
    source package, layer and file): a source name the purl lacks lets distro advisories,
    keyed by source package, match. Only short strings are taken."""

    def ok(value: Any) -> str | None:
        return value if isinstance(value, str) and 0 < len(value) <= MAX_FIELD else None

    changes: dict[str, Any] = {}
    if pkg.type in {"deb", "apk", "rpm"} and pkg.source_name is None and ok(source_name):
        changes["source_name"] = source_name
        if ok(source_version) and pkg.source_version is None:
            changes["source_version"] = source_version
    if ok(layer) and not pkg.layer:
        changes["layer"] = layer
    if ok(path) and not pkg.path and _in_image_path(path):
        changes["path"] = posixpath.normpath(path)
    return msgspec.structs.replace(pkg, **changes) if changes else pkg


def _in_image_path(path: str) -> bool:
    """An absolute path inside the image, with no `..` and no control characters (it ends up
    as a SARIF artifact URI)."""
    return (
        path.startswith("/")
        and ".." not in path.split("/")
        and not any(ord(c) < 32 or c == "\x7f" for c in path)
    )


def _properties(comp: dict[str, Any]) -> dict[str, Any]:
    props = comp.get("properties")
    if not isinstance(props, list):
        return {}
    return {
        p["name"]: p.get("value")
        for p in props
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }


def _cyclonedx(doc: dict[str, Any], path: Path) -> SbomContents:
    meta = doc.get("metadata")
    subject = meta.get("component") if isinstance(meta, dict) else None
    subject_name = subject.get("name") if isinstance(subject, dict) else None
    name = redact_userinfo(str(subject_name or path.name))
    flat: list[dict[str, Any]] = []
    stack = [doc.get("components") or []]
    while stack:
        items = stack.pop()
        if not isinstance(items, list):
            raise InputError(f"{path}: 'components' must be a list")
        for comp in items:
            if not isinstance(comp, dict):
                raise InputError(f"{path}: a component is not an object")
            flat.append(comp)
            if len(flat) > MAX_COMPONENTS:
                raise InputError(f"{path}: more than {MAX_COMPONENTS} components")
            if comp.get("components"):
                stack.append(comp["components"])
    os_name: str | None = None
    for comp in flat:
        if comp.get("type") == "operating-system" and comp.get("name"):
            os_name = f"{comp['name']}-{comp.get('version', '')}".rstrip("-")
    contents = SbomContents(name=name, format="cyclonedx", os=os_name)
    for comp in flat:
        if comp.get("type") == "operating-system":
            continue
        purl = comp.get("purl")
        pkg = package_from_purl(purl, default_distro=os_name) if isinstance(purl, str) else None
        if pkg is None:
            contents.skipped += 1
            continue
        props = _properties(comp)
        pkg = _with_details(
            pkg,
            source_name=props.get("seawall:source-name"),
            source_version=props.get("seawall:source-version"),
            layer=props.get("seawall:layer-diff-id"),
            path=props.get("seawall:location"),
        )
        contents.packages.append(pkg)
    return contents


def _spdx(doc: dict[str, Any], path: Path) -> SbomContents:
    packages = doc.get("packages") or []
    if not isinstance(packages, list):
        raise InputError(f"{path}: 'packages' must be a list")
    if len(packages) > MAX_COMPONENTS:
        raise InputError(f"{path}: more than {MAX_COMPONENTS} packages")
    contents = SbomContents(name=redact_userinfo(str(doc.get("name") or path.name)), format="spdx")
    purls: list[tuple[str | None, Any]] = []
    for pkg in packages:
        if not isinstance(pkg, dict):
            raise InputError(f"{path}: a package is not an object")
        found = None
        refs = pkg.get("externalRefs") or []
        if not isinstance(refs, list):
            raise InputError(f"{path}: a package's 'externalRefs' must be a list")
        for ref in refs:
            if isinstance(ref, dict) and ref.get("referenceType") == "purl":
                found = ref.get("referenceLocator")
                break
        purpose = pkg.get("primaryPackagePurpose")
        if purpose == "OPERATING-SYSTEM" and pkg.get("name"):
            contents.os = f"{pkg['name']}-{pkg.get('versionInfo', '')}".rstrip("-")
            continue  # the OS and the image itself are what is described, not packages
        if purpose == "CONTAINER" and not isinstance(found, str):
            continue
        purls.append((found if isinstance(found, str) else None, pkg.get("sourceInfo")))
    for purl, source_info in purls:
        parsed = package_from_purl(purl, default_distro=contents.os) if purl else None
        if parsed is None:
            contents.skipped += 1
            continue
        if isinstance(source_info, str) and len(source_info) <= MAX_FIELD:
            match = _SPDX_SOURCE.search(source_info)
            if match:
                parsed = _with_details(
                    parsed, source_name=match.group(1), source_version=match.group(2)
                )
        contents.packages.append(parsed)
    return contents


def read_sbom(path: Path) -> SbomContents:
    """Read a CycloneDX (JSON) or SPDX 2.x (JSON) SBOM; raise InputError otherwise."""
    doc = _read_json(path)
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object (CycloneDX or SPDX)")
    if doc.get("bomFormat") == "CycloneDX":
        return _cyclonedx(doc, path)
    if str(doc.get("spdxVersion", "")).startswith("SPDX-2."):
        return _spdx(doc, path)
    raise InputError(f"{path}: not a CycloneDX JSON or SPDX 2.x JSON SBOM")
