"""PyPI version ordering: PEP 440 via `packaging`, with a fallback for legacy versions.

Versions `packaging` rejects (old setuptools "legacy" versions such as "2004d" or
"1.0-SNAPSHOT-xyz") sort before every valid version, among themselves by a natural
(digits numerically, text lexically) key, as setuptools' LegacyVersion did.
"""

from __future__ import annotations

import re
from functools import lru_cache

from packaging.version import InvalidVersion, Version

_RUNS = re.compile(r"\d+|[a-z]+|[^a-z\d]+")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A key ordering digit runs numerically and other runs lexically (case-insensitive)."""
    parts: list[tuple[int, int | str]] = []
    for run in _RUNS.findall(text.lower()):
        if run.isdigit():
            parts.append((1, int(run)))
        elif run.isalpha():
            parts.append((0, run))
    return tuple(parts)


@lru_cache(maxsize=65536)
def pypi_key(version: str) -> tuple[int, object]:
    """A sort key for a PyPI version (valid PEP 440 versions after legacy ones)."""
    try:
        # Version orders by its comparison key: comparing the keys directly gives the same
        # order without a Python-level __lt__ call per comparison
        return (1, Version(version)._key)
    except InvalidVersion:
        return (0, natural_key(version))


def compare_pypi(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two PyPI versions."""
    ka, kb = pypi_key(a), pypi_key(b)
    return (ka > kb) - (ka < kb)  # type: ignore[operator]
