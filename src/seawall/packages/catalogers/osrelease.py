"""OS identity: /etc/os-release (or /usr/lib/os-release) with release-file fallbacks.

The advisory ecosystem follows OSV's names: "Debian:12", "Alpine:v3.19",
"Ubuntu:22.04:LTS" (OSV spells LTS releases with the suffix), "Red Hat", "Rocky Linux:9",
"AlmaLinux:9".
"""

from __future__ import annotations

import re

from seawall.packages.catalogers.base import (
    Cataloger,
    CatalogResult,
    FileEntry,
    OSRelease,
    register,
)

# Most authoritative first: when several are present, the earliest wins.
SOURCES = (
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/debian_version",
    "/etc/redhat-release",
)
_MAX = 64 * 1024


def ecosystem_for(os_id: str, version_id: str) -> str:
    """The OSV ecosystem name for a distribution release ('' when unknown)."""
    os_id = os_id.lower()
    if not version_id:
        return ""
    if os_id == "debian":
        return f"Debian:{version_id.split('.')[0]}"
    if os_id == "alpine":
        major_minor = ".".join(version_id.split(".")[:2])
        return f"Alpine:v{major_minor}"
    if os_id == "ubuntu":
        year, _, month = version_id.partition(".")
        # even year by its last digit: int() of a crafted 5,000-digit year is an error
        lts = month == "04" and year.isascii() and year.isdigit() and year[-1] in "02468"
        return f"Ubuntu:{version_id}" + (":LTS" if lts else "")
    major = version_id.split(".")[0]
    if os_id in ("rhel", "redhat"):
        return "Red Hat"
    if os_id == "rocky":
        return f"Rocky Linux:{major}"
    if os_id == "almalinux":
        return f"AlmaLinux:{major}"
    if os_id in ("opensuse-leap", "opensuse"):
        return f"openSUSE:Leap {version_id}"
    if os_id in ("sles", "sled"):
        return f"SUSE:Linux Enterprise Server {major}"
    if os_id == "wolfi":
        return "Wolfi"
    if os_id == "chainguard":
        return "Chainguard"
    if os_id == "mariner":
        return f"Mariner:{version_id}"
    if os_id == "azurelinux":
        return f"Azure Linux:{version_id}"
    return ""


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines, shell-style quoting removed."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        value = re.sub(r"\\(.)", r"\1", value)
        out[key.strip()] = value
    return out


_REDHAT = re.compile(r"^(?P<name>.+?) release (?P<version>[0-9][0-9.]*)")
_REDHAT_IDS = (
    ("Rocky", "rocky"),
    ("AlmaLinux", "almalinux"),
    ("CentOS", "centos"),
    ("Fedora", "fedora"),
    ("Red Hat", "rhel"),
)


def _from_release_file(path: str, text: str) -> OSRelease | None:
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not line:
        return None
    if path == "/etc/alpine-release":
        return OSRelease(
            id="alpine",
            version_id=line,
            name="Alpine Linux",
            ecosystem=ecosystem_for("alpine", line),
            source=path,
        )
    if path == "/etc/debian_version":
        if not line[0].isdigit():  # testing/sid say "trixie/sid"
            return OSRelease(id="debian", version_id="", name="Debian GNU/Linux", source=path)
        major = line.split(".")[0]
        return OSRelease(
            id="debian",
            version_id=major,
            name="Debian GNU/Linux",
            ecosystem=ecosystem_for("debian", major),
            source=path,
        )
    match = _REDHAT.match(line)
    if not match:
        return None
    name = match.group("name")
    os_id = next((i for prefix, i in _REDHAT_IDS if name.startswith(prefix)), "rhel")
    version = match.group("version")
    return OSRelease(
        id=os_id,
        version_id=version,
        name=name,
        pretty_name=line,
        id_like=("rhel",) if os_id != "rhel" else (),
        ecosystem=ecosystem_for(os_id, version),
        source=path,
    )


def read_os(path: str, data: bytes) -> OSRelease | None:
    """The OS described by one of SOURCES, or None when it says nothing usable."""
    text = data[:_MAX].decode("utf-8", "replace")
    if path.endswith("os-release"):
        fields = parse_os_release(text)
        os_id = fields.get("ID", "").lower()
        if not os_id:
            return None
        version = fields.get("VERSION_ID", "")
        return OSRelease(
            id=os_id,
            version_id=version,
            name=fields.get("NAME", ""),
            pretty_name=fields.get("PRETTY_NAME", ""),
            version_codename=fields.get("VERSION_CODENAME", ""),
            id_like=tuple(fields.get("ID_LIKE", "").split()),
            ecosystem=ecosystem_for(os_id, version),
            source=path,
        )
    return _from_release_file(path, text)


def pick_os(candidates: list[OSRelease]) -> OSRelease | None:
    """The most authoritative OS among those found, completed from the others.

    Debian testing's os-release has no VERSION_ID; /etc/debian_version then supplies it.
    """
    if not candidates:
        return None
    ranked = sorted(
        candidates, key=lambda o: SOURCES.index(o.source) if o.source in SOURCES else 99
    )
    best = ranked[0]
    if not best.version_id:
        for other in ranked[1:]:
            if other.id == best.id and other.version_id:
                from dataclasses import replace

                return replace(
                    best,
                    version_id=other.version_id,
                    ecosystem=ecosystem_for(best.id, other.version_id),
                )
    return best


@register
class OSReleaseCataloger(Cataloger):
    name = "os-release"
    version = 1
    max_size = _MAX

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path in SOURCES

    def catalog(self, entry: FileEntry) -> CatalogResult:
        found = read_os(entry.path, entry.data)
        if found is None:
            return CatalogResult(warnings=[f"{entry.path}: no distribution identity found"])
        return CatalogResult(os=found)
