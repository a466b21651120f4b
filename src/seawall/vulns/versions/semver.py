"""Semantic versioning (npm, crates.io, Go modules, Packagist, Hex, Pub, NuGet).

major.minor.patch[-prerelease][+build]; a leading "v" is accepted (Go), missing minor or
patch count as 0, build metadata is ignored. Pre-release identifiers compare numerically
when numeric, lexically (ASCII) otherwise, numeric before text, and a version without a
pre-release is newer than one with. NuGet adds a fourth number and compares pre-release
labels case-insensitively. Anything else falls back to a natural-order key, after valid
versions of the same number.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawall.vulns.versions.pypi import natural_key

_SEMVER = re.compile(
    r"^\s*[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.+-]*)?\s*$"
)

_RELEASE = (1,)  # no pre-release: newer than any pre-release of the same numbers


def _prerelease_key(text: str | None, fold_case: bool) -> tuple[object, ...]:
    if not text:
        return _RELEASE
    ids: list[tuple[int, int | str]] = []
    for ident in text.split("."):
        if ident.isdigit():
            ids.append((0, int(ident)))
        else:
            ids.append((1, ident.lower() if fold_case else ident))
    return (0, tuple(ids))


def _key(version: str, *, four: bool, fold_case: bool) -> tuple[object, ...]:
    match = _SEMVER.match(version)
    if match is None or (match.group(4) is not None and not four):
        return (0, natural_key(version))
    numbers = tuple(int(g) if g else 0 for g in match.group(1, 2, 3, 4))
    return (1, numbers, _prerelease_key(match.group(5), fold_case))


@lru_cache(maxsize=65536)
def semver_key(version: str) -> tuple[object, ...]:
    """A sort key for a semantic version (npm, crates.io, Go with or without 'v')."""
    return _key(version, four=False, fold_case=False)


@lru_cache(maxsize=65536)
def nuget_key(version: str) -> tuple[object, ...]:
    """A sort key for a NuGet version (four numbers, case-insensitive labels)."""
    return _key(version, four=True, fold_case=True)


def compare_semver(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two semantic versions."""
    ka, kb = semver_key(a), semver_key(b)
    return (ka > kb) - (ka < kb)  # type: ignore[operator]


def compare_nuget(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two NuGet versions."""
    ka, kb = nuget_key(a), nuget_key(b)
    return (ka > kb) - (ka < kb)  # type: ignore[operator]
