"""RubyGems version ordering (Gem::Version#<=>).

A version splits into numeric and alphabetic segments ("1.0.a.2" -> 1, 0, "a", 2; a '-'
means ".pre."); trailing zeros of the release part and of the pre-release part are
dropped; segments compare pairwise with missing ones as 0, a string segment (pre-release)
sorting before a number.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SEGMENT = re.compile(r"[0-9]+|[a-z]+", re.IGNORECASE)


@lru_cache(maxsize=65536)
def gem_segments(version: str) -> tuple[int | str, ...]:
    """Gem::Version#canonical_segments of a version string."""
    text = version.strip().replace("-", ".pre.")
    segments: list[int | str] = [int(s) if s.isdigit() else s for s in _SEGMENT.findall(text)]
    first_string = next((i for i, s in enumerate(segments) if isinstance(s, str)), None)
    parts = (
        [segments]
        if first_string is None
        else [
            segments[:first_string],
            segments[first_string:],
        ]
    )
    out: list[int | str] = []
    for part in parts:
        end = len(part)
        while end and part[end - 1] == 0:  # by index: slicing per zero is quadratic
            end -= 1
        out.extend(part[:end])
    return tuple(out)


def compare_gem(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two RubyGems versions."""
    left, right = gem_segments(a), gem_segments(b)
    for i in range(max(len(left), len(right))):
        lhs = left[i] if i < len(left) else 0
        rhs = right[i] if i < len(right) else 0
        if lhs == rhs:
            continue
        if isinstance(lhs, str) and isinstance(rhs, int):
            return -1
        if isinstance(lhs, int) and isinstance(rhs, str):
            return 1
        return (lhs > rhs) - (lhs < rhs)  # type: ignore[operator]
    return 0
