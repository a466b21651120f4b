"""Version ordering per ecosystem: one entry point, exact comparators, cached parsing.

    cmp = comparator("Debian:12")      # -> compare_dpkg
    cmp("1.2-1", "1.2-1+deb12u1")      # -> -1

Ecosystem names are OSV's ("Debian:12", "Alpine:v3.19", "Red Hat", "PyPI", "Maven",
"npm", "Go", "crates.io", "RubyGems", "NuGet", "Packagist", ...) or scheme names ("deb",
"rpm", "apk", "semver", "pypi", "maven", "gem", "nuget"); the part before the first ':'
decides, case-insensitively. Unknown ecosystems use semver with a natural-order fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cmp_to_key

from seawall.vulns.versions.apk import compare_apk
from seawall.vulns.versions.bytekey import KEY_FORMAT, MAX_KEY, byte_key_func
from seawall.vulns.versions.dpkg import compare_dpkg, dpkg_key
from seawall.vulns.versions.gem import compare_gem
from seawall.vulns.versions.maven import compare_maven
from seawall.vulns.versions.pypi import compare_pypi, pypi_key
from seawall.vulns.versions.rpm import compare_rpm
from seawall.vulns.versions.semver import compare_nuget, compare_semver, nuget_key, semver_key

Comparator = Callable[[str, str], int]

_SCHEMES: dict[str, Comparator] = {
    "deb": compare_dpkg,
    "rpm": compare_rpm,
    "apk": compare_apk,
    "pypi": compare_pypi,
    "maven": compare_maven,
    "semver": compare_semver,
    "go": compare_semver,
    "gem": compare_gem,
    "nuget": compare_nuget,
}
_KEYS: dict[str, Callable[[str], object]] = {
    "deb": dpkg_key,
    "pypi": pypi_key,
    "semver": semver_key,
    "go": semver_key,
    "nuget": nuget_key,
}
_ECOSYSTEM_SCHEME = {
    "debian": "deb",
    "ubuntu": "deb",
    "deb": "deb",
    "alpine": "apk",
    "alpaquita": "apk",
    "bellsoft hardened containers": "apk",
    "wolfi": "apk",
    "chainguard": "apk",
    "apk": "apk",
    "red hat": "rpm",
    "redhat": "rpm",
    "rhel": "rpm",
    "rocky linux": "rpm",
    "rocky": "rpm",
    "almalinux": "rpm",
    "centos": "rpm",
    "fedora": "rpm",
    "opensuse": "rpm",
    "suse": "rpm",
    "mageia": "rpm",
    "openeuler": "rpm",
    "amazon linux": "rpm",
    "rpm": "rpm",
    "pypi": "pypi",
    "maven": "maven",
    "go": "go",
    "golang": "go",
    "rubygems": "gem",
    "gem": "gem",
    "nuget": "nuget",
    "npm": "semver",
    "crates.io": "semver",
    "cargo": "semver",
    "packagist": "semver",
    "hex": "semver",
    "pub": "semver",
    "swifturl": "semver",
    "semver": "semver",
}


def scheme_for(ecosystem: str) -> str:
    """The version scheme of an ecosystem ("Debian:12" -> "deb", "npm" -> "semver")."""
    base = ecosystem.split(":", 1)[0].strip().lower()
    return _ECOSYSTEM_SCHEME.get(base, "semver")


def comparator(ecosystem: str) -> Comparator:
    """A function returning -1, 0 or 1 for two versions of `ecosystem`."""
    return _SCHEMES[scheme_for(ecosystem)]


def sort_key(ecosystem: str) -> Callable[[str], object]:
    """A key function ordering versions of `ecosystem` (a cached parse where feasible)."""
    scheme = scheme_for(ecosystem)
    key = _KEYS.get(scheme)
    if key is not None:
        return key
    return cmp_to_key(_SCHEMES[scheme])


def has_native_key(ecosystem: str) -> bool:
    """True when sort_key(ecosystem) is a plain tuple key (cheap to precompute)."""
    return scheme_for(ecosystem) in _KEYS


__all__ = [
    "KEY_FORMAT",
    "MAX_KEY",
    "Comparator",
    "byte_key_func",
    "comparator",
    "compare_apk",
    "compare_dpkg",
    "compare_gem",
    "compare_maven",
    "compare_nuget",
    "compare_pypi",
    "compare_rpm",
    "compare_semver",
    "has_native_key",
    "scheme_for",
    "sort_key",
]
